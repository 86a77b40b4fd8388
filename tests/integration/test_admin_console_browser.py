"""Admin console journeys in a real browser (Playwright + Debian's chromium) against a bridge over real HTTP and
real upstream processes: signing in through the bridge, ending a session."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.integration.admin_console_live import ConsoleLive, sign_in_console, technician_signed_in


def test_super_admin_ends_a_technicians_session(console_live: ConsoleLive, page: Page, browser: Browser) -> None:
    live = console_live
    live.give_role("bob", "super_admin")
    carol, carol_id = technician_signed_in(browser, live, "carol")

    sign_in_console(page, live, "bob", "/admin/sessions")
    expect(page.locator("#viewer-role")).to_have_text("super admin")
    row = page.locator(f"#sessions tr[data-user-id='{carol_id}']")
    expect(row).to_have_count(1)
    row.locator("button:has-text('End session')").click()
    expect(page.locator("#notice")).to_contain_text("The session was ended")
    expect(page.locator(f"#sessions tr[data-user-id='{carol_id}']")).to_have_count(0)

    carol.goto(f"{live.issuer}/session")  # her browser was signed in a moment ago; now it is not
    expect(carol.locator("#logged-out-title")).to_have_text("You are not signed in")
    carol.context.close()
