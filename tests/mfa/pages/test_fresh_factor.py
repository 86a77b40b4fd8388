"""Changes on /account/mfa that weaken the technician's protection need the current factor on their form: a live
(even 10-minute-old) session alone turns nothing off, changes no method and issues no recovery codes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from idp_bridge.config.mfa_model import EmailConfig
from idp_bridge.mfa import admin
from tests.bridge_harness import LoginDriver, other_browser
from tests.mfa.mfa_harness import Bridge, alert, csrf, enroll, mfa_bridge, mfa_config, recovery_codes_of
from tests.mfa.receivers import Mailbox, smtp_server
from tests.store_peek import audit_types, live_sessions


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def bridge(tmp_path: Path, upstreams: dict[str, str], key_file: Path, mailbox: Mailbox) -> Iterator[Bridge]:
    config = mfa_config(
        tmp_path, upstreams, key_file, technician_may_disable=True,
        email=EmailConfig(host="127.0.0.1", port=mailbox.port, security="none", from_address="sso@bridge.test"),
    )  # fmt: skip
    config = config.model_copy(update={"sessions": config.sessions.model_copy(update={"max_sessions": 2})})
    with mfa_bridge(config) as b:
        yield b


def _token(bridge: Bridge) -> str:
    page = bridge.client.get("/account/mfa")
    assert page.status_code == 200, page.text[:500]
    return csrf(page)


def _mfa_choice(bridge: Bridge, sub: str) -> str | None:
    choice: str | None = bridge.call(bridge.store.get_mfa_settings, bridge.user_id(sub)).choice
    return choice


def test_turning_off_with_an_old_session_and_no_code_is_refused(bridge: Bridge) -> None:
    secret, _, _ = enroll(bridge, "ivy")
    bridge.clock.advance(600)  # the session is 10 minutes old, still live
    token = _token(bridge)
    confirm = bridge.post("/account/mfa/disable", {"csrf_token": token})
    assert confirm.status_code == 200 and 'name="factor_code"' in confirm.text  # the form asks for the factor
    for code in ("", "000000" if bridge.totp_at(secret) != "000000" else "111111"):
        refused = bridge.post("/account/mfa/disable", {"csrf_token": token, "confirm": "yes", "factor_code": code})
        assert refused.status_code == 400 and "Nothing was changed" in alert(refused)
    assert _mfa_choice(bridge, "ivy") is None and live_sessions(bridge.db) == 1
    assert bridge.call(bridge.store.get_totp, bridge.user_id("ivy")) is not None  # the authenticator is kept
    assert ("mfa.disable.refused", "failure") in audit_types(bridge.db)
    off = bridge.post("/account/mfa/disable", {"csrf_token": token, "confirm": "yes",
                                               "factor_code": bridge.totp_at(secret, 1)})  # fmt: skip
    assert off.status_code == 200 and _mfa_choice(bridge, "ivy") == "off" and live_sessions(bridge.db) == 0


def test_method_change_without_the_current_factor_is_refused(bridge: Bridge) -> None:
    secret, _, _ = enroll(bridge, "ivo@example.com")
    token = _token(bridge)
    refused = bridge.post("/account/mfa/method", {"csrf_token": token, "method": "email"})
    assert refused.status_code == 400 and "Nothing was changed" in alert(refused)
    assert bridge.call(bridge.store.get_mfa_settings, bridge.user_id("ivo@example.com")).method is None
    assert live_sessions(bridge.db) == 1
    saved = bridge.post("/account/mfa/method", {"csrf_token": token, "method": "email",
                                                "factor_code": bridge.totp_at(secret, 1)})  # fmt: skip
    assert saved.status_code == 200 and "signed out everywhere" in saved.text
    assert bridge.call(bridge.store.get_mfa_settings, bridge.user_id("ivo@example.com")).method == "email"


def test_email_technician_turns_off_with_a_code_sent_from_the_settings_page(bridge: Bridge, mailbox: Mailbox) -> None:
    bridge.login("jo@example.com")
    bridge.call(admin.save_settings, bridge.app, bridge.user_id("jo@example.com"), method="email")
    page = bridge.login("jo@example.com", prompt="login").page
    assert page is not None
    bridge.follow(bridge.post("/mfa/otp", {"csrf_token": csrf(page), "code": mailbox.last_code()}))
    token = _token(bridge)
    no_code = bridge.post("/account/mfa/disable", {"csrf_token": token, "confirm": "yes", "factor_code": "123456"})
    assert no_code.status_code == 400 and "Request a new code" in alert(no_code)  # no code was sent for this
    bridge.clock.advance(60)  # the resend cooldown since the sign-in's code
    sent = bridge.post("/account/mfa/send-code", {"csrf_token": token})
    assert sent.status_code == 200 and "j•••@example.com" in sent.text
    challenge = re.search(r'name="challenge_id" value="([^"]+)"', sent.text)
    assert challenge is not None
    assert _mfa_choice(bridge, "jo@example.com") is None and live_sessions(bridge.db) == 1
    off = bridge.post("/account/mfa/disable", {"csrf_token": token, "confirm": "yes", "factor_code":
                                               mailbox.last_code(), "challenge_id": challenge.group(1)})  # fmt: skip
    assert off.status_code == 200 and _mfa_choice(bridge, "jo@example.com") == "off"


def test_new_recovery_codes_end_other_sessions_and_forget_remembered_devices(bridge: Bridge) -> None:
    secret, old_codes, _ = enroll(bridge, "kim")
    other_client = other_browser(bridge.client)
    second = Bridge(other_client, bridge.clock, LoginDriver(other_client), bridge.db)
    result = second.login("kim")
    assert result.page is not None
    second.follow(second.post("/mfa/totp", {"csrf_token": csrf(result.page), "code": bridge.totp_at(secret, 1),
                                            "remember": "1"}))  # fmt: skip
    user_id = bridge.user_id("kim")
    assert live_sessions(bridge.db) == 2 and len(bridge.call(bridge.store.list_remembered_devices, user_id,
                                                              bridge.clock.now())) == 1  # fmt: skip
    token = _token(bridge)
    bridge.clock.advance(30)  # the next time step
    page = bridge.post("/account/mfa/recovery-codes", {"csrf_token": token, "reset_code": bridge.totp_at(secret, 1)})
    assert page.status_code == 200 and len(recovery_codes_of(page)) == 10
    assert live_sessions(bridge.db) == 1  # the other browser's session ended, this one stays
    assert bridge.client.get("/account/mfa").status_code == 200
    assert second.client.get("/account/mfa").status_code == 401
    assert bridge.call(bridge.store.list_remembered_devices, user_id, bridge.clock.now()) == []
    assert set(recovery_codes_of(page)).isdisjoint(old_codes)
    second.driver.close()
