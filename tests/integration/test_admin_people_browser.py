"""Admin console journeys about people, in a real browser (Playwright + Debian's chromium) against a bridge over
real HTTP and real upstream processes: a Super Admin finds a technician and resets their MFA; the technician's
browser is signed out and their next sign-in sets up an authenticator again."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.integration.admin_console_live import (
    ConsoleLive,
    sign_in_console,
    technician_signed_in,
    upstream_sign_in,
)


def test_super_admin_resets_a_technicians_mfa(console_live: ConsoleLive, page: Page, browser: Browser) -> None:
    live = console_live
    live.give_role("bob", "super_admin")
    carol, carol_id = technician_signed_in(browser, live, "carol")  # with her authenticator set up

    sign_in_console(page, live, "bob", "/admin/technicians")
    page.fill("#q", "carol")
    page.click("#search")
    rows = page.locator("#technicians tbody tr")
    expect(rows).to_have_count(1)
    rows.locator("a").first.click()
    expect(page.locator("#mfa-authenticator")).to_have_text("enrolled")
    expect(page.locator(f"#sessions tr[data-user-id='{carol_id}']")).to_have_count(1)

    page.click("#reset-mfa")
    expect(page.locator("h1")).to_contain_text("Reset MFA of")
    page.click("#confirm-reset-mfa")
    expect(page.locator("#notice")).to_contain_text("MFA was reset")
    expect(page.locator("#no-sessions")).to_be_visible()
    expect(page.locator("#mfa-authenticator")).to_have_text("not enrolled")

    carol.goto(f"{live.issuer}/session")  # signed in a moment ago; not any more
    expect(carol.locator("#logged-out-title")).to_have_text("You are not signed in")
    carol.goto(f"{live.issuer}/admin")  # the console says why, then she signs in again and enrolls afresh
    expect(carol.locator("#signed-out-message")).to_have_attribute("data-reason", "mfa_reset")
    carol.click("#sign-in-again")
    upstream_sign_in(carol, "carol")
    expect(carol.locator("h1")).to_have_text("Set up two-factor authentication")
    carol.context.close()
