"""The policy editor in a real browser (Playwright + Debian's chromium) against a bridge over real HTTP and real
upstream processes: allow a provider by ticking it, see the diff, save, roll back; the allow-list applies at once."""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.sync_api import Browser, Page, expect

from idp_bridge.admin import policy_service
from idp_bridge.bridge import Bridge
from idp_bridge.policy.document import PolicyDocument
from tests.bridge_harness import authorize_query
from tests.integration.admin_console_live import ConsoleLive, sign_in_console


def test_super_admin_allows_a_provider_then_rolls_back(console_live: ConsoleLive, page: Page, browser: Browser) -> None:
    live = console_live
    live.give_role("bob", "super_admin")

    async def without_globex(bridge: Bridge) -> int:
        _, current = await bridge.policy.current()
        document = PolicyDocument.model_validate(current.model_dump() | {"allowed_providers": ("acme",)})
        saved = await policy_service.save(bridge, document, author="test", comment="globex not yet")
        return saved.version

    assert live.in_store(without_globex) == 2
    globex_login = f"{live.issuer}/authorize?{urlencode(authorize_query(provider_hint='globex'))}"

    sign_in_console(page, live, "bob", "/admin")
    page.click("nav >> text=Policy")
    expect(page.locator("#current-number")).to_have_text("2")
    expect(page.locator("#allow-globex")).not_to_be_checked()
    page.check("#allow-globex")
    page.fill("#comment", "globex joins")
    page.click("#preview")
    expect(page.locator("#diff .add")).to_have_text(['+    "acme",', '+    "globex"'])
    expect(page.locator("#no-loss")).to_be_visible()
    expect(page.locator("#save-comment")).to_have_value("globex joins")
    page.click("#save")
    expect(page).to_have_url(f"{live.issuer}/admin/policy/versions/3?done=policy_saved")
    expect(page.locator("#notice")).to_contain_text("The new policy version is saved")
    expect(page.locator("#version-comment")).to_have_text("globex joins")
    # Someone signing in to a portal through globex, in a browser of their own: sent on to globex now.
    other = browser.new_context().new_page()
    allowed = other.request.get(globex_login, max_redirects=0)
    assert allowed.status == 303 and allowed.headers["location"].startswith(live.upstreams["globex"])

    page.click("text=All versions")
    page.click("#versions tr[data-version='2'] a")
    expect(page.locator("#rollback-diff .del")).to_have_text(['-    "acme",', '-    "globex"'])
    page.fill("#rollback-comment", "globex after all not")
    page.click("#rollback")
    expect(page).to_have_url(f"{live.issuer}/admin/policy/versions/4?done=policy_rolled_back")
    expect(page.locator("#version-rollback-of")).to_have_text("version 2")
    page.click("text=All versions")
    expect(page.locator("#versions tr[data-version='4'] .rollback-of")).to_have_text("version 2")
    page.click("text=Current policy")
    expect(page.locator("#current-number")).to_have_text("4")
    expect(page.locator("#allow-globex")).not_to_be_checked()

    other.goto(globex_login)  # and refused after the rollback
    expect(other.locator("#error-title")).to_have_text("Sign-in not allowed")
    other.context.close()
