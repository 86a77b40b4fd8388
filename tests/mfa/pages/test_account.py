"""The technician's MFA settings page: reconfigure (lost or new phone), reset recovery codes, method, remembered
devices, turning MFA off (with confirmation, where policy allows); saving signs out everywhere. And the admin CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from idp_bridge.cli.main import main
from idp_bridge.mfa import admin
from tests.bridge_harness import LoginDriver, other_browser
from tests.mfa.mfa_harness import Bridge, alert, csrf, enroll, mfa_bridge, mfa_config, recovery_codes_of, secret_of
from tests.store_peek import audit_types, live_sessions


@pytest.fixture
def bridge(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> Iterator[Bridge]:
    with mfa_bridge(mfa_config(tmp_path, upstreams, key_file)) as b:
        yield b


def _settings(bridge: Bridge) -> tuple[str, str]:
    page = bridge.client.get("/account/mfa")
    assert page.status_code == 200, page.text[:500]
    return page.text, csrf(page)


def test_not_signed_in(bridge: Bridge) -> None:
    page = bridge.client.get("/account/mfa")
    assert page.status_code == 401 and "not signed in" in page.text
    assert bridge.post("/account/mfa/disable", {"csrf_token": "x"}).status_code == 401


def test_reconfigure_with_current_code_replaces_the_device_and_signs_out(bridge: Bridge) -> None:
    old_secret, _, _ = enroll(bridge, "amy")
    text, token = _settings(bridge)
    assert "10 recovery codes left" in text
    wrong = bridge.post("/account/mfa/reconfigure", {"csrf_token": token, "code": "12345"})
    assert wrong.status_code == 400
    page = bridge.post("/account/mfa/reconfigure", {"csrf_token": token, "code": bridge.totp_at(old_secret, 1)})
    assert page.status_code == 200 and "Scan this QR code" in page.text
    new_secret = secret_of(page)
    assert new_secret != old_secret
    done = bridge.post("/account/mfa/reconfigure/confirm", {"csrf_token": token, "code": bridge.totp_at(new_secret)})
    assert done.status_code == 200 and len(recovery_codes_of(done)) == 10 and "signed out everywhere" in done.text
    assert live_sessions(bridge.db) == 0
    # The old app's codes no longer work; the new one's do.
    result = bridge.login("amy")
    assert result.page is not None
    token = csrf(result.page)
    old = bridge.post("/mfa/totp", {"csrf_token": token, "code": bridge.totp_at(old_secret, 1)})
    assert old.status_code == 400 and "not correct" in alert(old)
    assert "code" in bridge.follow(
        bridge.post("/mfa/totp", {"csrf_token": token, "code": bridge.totp_at(new_secret, 1)})
    ).params
    assert ("mfa.totp.reconfigured", "success") in audit_types(bridge.db)


def test_lost_phone_recovery_code_then_new_authenticator_at_login(bridge: Bridge) -> None:
    old_secret, codes, _ = enroll(bridge, "ben")
    result = bridge.login("ben", prompt="login")
    assert result.page is not None
    token = csrf(result.page)
    used = bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": codes[0]})
    assert "Set up a new authenticator app" in used.text
    page = bridge.post("/mfa/reconfigure", {"csrf_token": token})
    new_secret = secret_of(page)
    assert new_secret != old_secret
    codes_page = bridge.post("/mfa/enroll", {"csrf_token": token, "code": bridge.totp_at(new_secret)})
    new_codes = recovery_codes_of(codes_page)
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    done = bridge.follow(bridge.post("/mfa/complete", {"csrf_token": token}))
    assert "code" in done.params
    # The old recovery codes were replaced too.
    result = bridge.login("ben", prompt="login")
    assert result.page is not None
    again = bridge.post("/mfa/recovery", {"csrf_token": csrf(result.page), "recovery_code": codes[1]})
    assert again.status_code == 400


def test_reset_recovery_codes_invalidates_old_ones(bridge: Bridge) -> None:
    secret, codes, _ = enroll(bridge, "cat")
    _, token = _settings(bridge)
    page = bridge.post("/account/mfa/recovery-codes", {"csrf_token": token, "reset_code": bridge.totp_at(secret, 1)})
    new = recovery_codes_of(page)
    assert len(new) == 10 and "download-codes" in page.text
    result = bridge.login("cat", prompt="login")
    assert result.page is not None
    token = csrf(result.page)
    assert bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": codes[0]}).status_code == 400
    assert bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": new[0]}).status_code == 200


def test_method_change_signs_out_everywhere(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    config = mfa_config(tmp_path, upstreams, key_file)  # two sessions per technician, so both browsers stay in
    config = config.model_copy(update={"sessions": config.sessions.model_copy(update={"max_sessions": 2})})
    with mfa_bridge(config) as bridge:
        _method_change_signs_out_everywhere(bridge)


def _method_change_signs_out_everywhere(bridge: Bridge) -> None:
    secret, _, _ = enroll(bridge, "dan")
    # The same technician signed in from another browser too.
    other_client = other_browser(bridge.client)
    second = Bridge(other_client, bridge.clock, LoginDriver(other_client), bridge.db)
    result = second.login("dan")
    assert result.page is not None
    second.follow(second.post("/mfa/totp", {"csrf_token": csrf(result.page), "code": bridge.totp_at(secret, 1)}))
    assert live_sessions(bridge.db) == 2
    _, token = _settings(bridge)
    refused = bridge.post("/account/mfa/method", {"csrf_token": token, "method": "email"})  # not offered here
    assert refused.status_code == 400 and live_sessions(bridge.db) == 2
    bridge.clock.advance(30)  # a fresh time step confirms the change
    saved = bridge.post("/account/mfa/method", {"csrf_token": token, "method": "totp",
                                                "factor_code": bridge.totp_at(secret, 1)})  # fmt: skip
    assert saved.status_code == 200 and "signed out everywhere" in saved.text
    assert live_sessions(bridge.db) == 0
    second.driver.close()


def test_remembered_devices_are_listed_and_revocable(bridge: Bridge) -> None:
    secret, _, _ = enroll(bridge, "eve")
    result = bridge.login("eve", prompt="login")
    assert result.page is not None
    bridge.follow(bridge.post("/mfa/totp", {"csrf_token": csrf(result.page), "code": bridge.totp_at(secret, 1),
                                           "remember": "1"}))  # fmt: skip
    text, token = _settings(bridge)
    device_id = re.search(r'name="device_id" value="([^"]+)"', text)
    assert device_id
    assert bridge.post("/account/mfa/devices/revoke", {"csrf_token": token, "device_id": "nope"}).status_code == 404
    revoked = bridge.post("/account/mfa/devices/revoke", {"csrf_token": token, "device_id": device_id.group(1)})
    assert "No remembered devices" in revoked.text
    again = bridge.login("eve", prompt="login")
    assert again.page is not None  # MFA asked again


def test_disable_needs_policy_and_confirmation(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    with mfa_bridge(mfa_config(tmp_path, upstreams, key_file, technician_may_disable=True)) as bridge:
        secret, _, _ = enroll(bridge, "fay")
        _, token = _settings(bridge)
        confirm = bridge.post("/account/mfa/disable", {"csrf_token": token})
        assert confirm.status_code == 200 and "Turn off two-factor authentication?" in confirm.text
        assert live_sessions(bridge.db) == 1  # nothing happened yet
        off = bridge.post("/account/mfa/disable", {"csrf_token": token, "confirm": "yes",
                                                   "factor_code": bridge.totp_at(secret, 1)})  # fmt: skip
        assert off.status_code == 200 and live_sessions(bridge.db) == 0
        assert "code" in bridge.login("fay").params  # no second factor any more
        # An enforced technician cannot turn it off.
        bridge.call(admin.save_settings, bridge.app, bridge.user_id("fay"), enforced=True)
        bridge.sees_signed_out_notice("mfa_changed")
        enroll(bridge, "fay")
        _, token = _settings(bridge)
        refused = bridge.post("/account/mfa/disable", {"csrf_token": token, "confirm": "yes"})
        assert refused.status_code == 403 and "cannot be turned off" in alert(refused)


def test_admin_cli(bridge: Bridge, tmp_path: Path, key_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import tomli_w

    enroll(bridge, "gus")
    user_id = bridge.user_id("gus")
    config = tmp_path / "cli.toml"
    config.write_text(tomli_w.dumps({
        "server": {"issuer": "http://127.0.0.1:8999", "dev_mode": True, "secret_key": "s" * 40},
        "store": {"path": bridge.db}, "signing": {"key_file": str(key_file)}, "policy": {"allowed_providers": ["p"]},
        "providers": {"p": {"kind": "oidc", "display_name": "P", "issuer": "http://127.0.0.1:1", "client_id": "c"}},
        "portals": {"x": {"display_name": "X", "redirect_uris": ["http://127.0.0.1:2/cb"]}},
    }))  # fmt: skip
    assert main(["mfa", "--config", str(config), "set-role", user_id, "admin"]) == 0
    assert main(["mfa", "--config", str(config), "enforce", user_id]) == 0
    assert "role=admin enforced=True" in capsys.readouterr().out
    assert live_sessions(bridge.db) == 0  # saving signed gus out everywhere
    assert main(["mfa", "--config", str(config), "reset", user_id]) == 0
    assert "authenticator=none recovery_codes=0" in capsys.readouterr().out
    assert main(["mfa", "--config", str(config), "show", "nobody"]) == 1
    bridge.sees_signed_out_notice("mfa_changed")  # the CLI (set-role) ended the session through the same machinery
    result = bridge.login("gus")
    assert result.page is not None and "Set up two-factor" in result.page.text  # enrolls again
    assert ("mfa.admin.reset", "success") in audit_types(bridge.db)
