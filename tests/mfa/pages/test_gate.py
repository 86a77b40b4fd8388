"""Which logins need a local second factor: trusted upstream evidence, staleness, roles, portals, acr_values and
max_age from portals (stepping up a live session), remembered devices; and what the tokens then say."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2
import pytest

from idp_bridge.config.model import PortalConfig
from idp_bridge.mfa import admin
from tests.bridge_harness import PORTAL_ID, PORTAL_SECRET, PUBLIC_PORTAL_ID, PUBLIC_REDIRECT
from tests.mfa.mfa_harness import (
    Bridge,
    audit_detail,
    csrf,
    enroll,
    mfa_bridge,
    mfa_config,
    replace_cookie,
    secret_of,
)
from tests.mfa.pages.test_totp_login import redeem
from tests.store_peek import audit_types


def set_upstream_claims(upstreams: dict[str, str], sub: str, claims: dict[str, object]) -> None:
    response = httpx2.put(f"{upstreams['acme']}/users/{sub}", json={"email": f"{sub}@example.com", **claims})
    assert response.status_code == 204


@pytest.fixture
def bridge(tmp_path: Path, upstreams: dict[str, str], key_file: Path):  # type: ignore[no-untyped-def]
    with mfa_bridge(mfa_config(tmp_path, upstreams, key_file)) as b:
        yield b


def test_trusted_fresh_upstream_mfa_needs_no_local_factor(bridge: Bridge) -> None:
    done = bridge.login("bob")  # the demo upstream's bob: amr ["pwd", "mfa"], auth_time = now
    assert "code" in done.params, done.steps
    claims = redeem(bridge, done.params["code"])
    assert (claims["acr"], claims["amr"]) == ("urn:idp-bridge:loa:2", ["pwd", "mfa"])
    assert "mfa.step_up.required" not in [t for t, _ in audit_types(bridge.db)]


def test_stale_upstream_mfa_steps_up_and_is_not_relayed(bridge: Bridge, upstreams: dict[str, str]) -> None:
    set_upstream_claims(upstreams, "stale", {"amr": ["pwd", "mfa"], "auth_time": int(time.time()) - 7200})
    _, _, done = enroll(bridge, "stale")
    claims = redeem(bridge, done.params["code"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]  # the upstream's password, the bridge's TOTP
    step_up = [t for t, _ in audit_types(bridge.db) if t == "mfa.step_up.required"]
    assert step_up


def test_untrusted_acr_does_not_count(bridge: Bridge, upstreams: dict[str, str]) -> None:
    # An acr the bridge never asked for proves nothing, even if it looks like MFA.
    set_upstream_claims(upstreams, "acr-only", {"amr": ["pwd"], "acr": "urn:okta:loa:2fa:any"})
    result = bridge.login("acr-only")
    assert result.page is not None and "Set up two-factor authentication" in result.page.text


def test_mfa_not_required_gives_loa1_with_truthful_amr(tmp_path: Path, upstreams: dict[str, str],
                                                       key_file: Path) -> None:  # fmt: skip
    set_upstream_claims(upstreams, "stale2", {"amr": ["pwd", "mfa"], "auth_time": int(time.time()) - 7200})
    with mfa_bridge(mfa_config(tmp_path, upstreams, key_file, required=False)) as bridge:
        done = bridge.login("stale2")
        claims = redeem(bridge, done.params["code"])
        assert (claims["acr"], claims["amr"]) == ("urn:idp-bridge:loa:1", ["pwd"])  # stale "mfa" not relayed


def test_roles_and_portals_decide(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    config = mfa_config(tmp_path, upstreams, key_file, required=False)
    portals = dict(config.portals)
    portals[PUBLIC_PORTAL_ID] = PortalConfig(display_name="Admin", redirect_uris=(PUBLIC_REDIRECT,), require_mfa=True)
    config = config.model_copy(update={"portals": portals})
    with mfa_bridge(config) as bridge:
        assert "code" in bridge.login("tina").params  # a technician, MFA not required globally
        bridge.call(admin.save_settings, bridge.app, bridge.user_id("tina"), role="admin")
        bridge.sees_signed_out_notice("mfa_changed")
        result = bridge.login("tina", prompt="login")
        assert result.page is not None and "Set up two-factor" in result.page.text  # admins always
        # A technician on a portal that requires MFA:
        result = bridge.login("uma", client_id=PUBLIC_PORTAL_ID, redirect_uri=PUBLIC_REDIRECT)
        assert result.page is not None and "Set up two-factor" in result.page.text


def test_portal_acr_values_steps_up_the_live_session_without_upstream(tmp_path: Path, upstreams: dict[str, str],
                                                                       key_file: Path) -> None:  # fmt: skip
    with mfa_bridge(mfa_config(tmp_path, upstreams, key_file, required=False)) as bridge:
        first = bridge.login("vic")
        assert redeem(bridge, first.params["code"])["acr"] == "urn:idp-bridge:loa:1"
        # prompt=none cannot step up.
        none = bridge.login("vic", acr_values="urn:idp-bridge:loa:2", prompt="none")
        assert none.params["error"] == "interaction_required"
        stepped = bridge.login("vic", acr_values="urn:idp-bridge:loa:2")
        assert stepped.steps == ["GET http://127.0.0.1:8999/authorize", "GET http://127.0.0.1:8999/mfa"]  # no upstream
        assert stepped.page is not None
        secret = secret_of(stepped.page)
        token = csrf(stepped.page)
        bridge.post("/mfa/enroll", {"csrf_token": token, "code": bridge.totp_at(secret)})
        done = bridge.follow(bridge.post("/mfa/complete", {"csrf_token": token}))
        claims = redeem(bridge, done.params["code"])
        assert claims["acr"] == "urn:idp-bridge:loa:2" and claims["auth_time"] == int(bridge.clock.now())
        # Now single sign-on satisfies loa:2 ...
        bridge.clock.advance(300)
        assert "code" in bridge.login("vic", acr_values="urn:idp-bridge:loa:2").params
        # ... but not "MFA within the last 2 minutes": that asks for a fresh second factor only.
        fresh = bridge.login("vic", acr_values="urn:idp-bridge:loa:2", max_age=120)
        assert fresh.page is not None and "authenticator app" in fresh.page.text
        assert fresh.steps[-1].endswith("/mfa")
        done = bridge.follow(bridge.post("/mfa/totp", {"csrf_token": csrf(fresh.page), "code": bridge.totp_at(secret)}))
        assert redeem(bridge, done.params["code"])["auth_time"] == int(bridge.clock.now())


def test_remembered_device_skips_mfa_until_reset(bridge: Bridge) -> None:
    secret, _, _ = enroll(bridge, "walt")
    result = bridge.login("walt", prompt="login")
    assert result.page is not None
    ok = bridge.post("/mfa/totp", {"csrf_token": csrf(result.page), "code": bridge.totp_at(secret, 1), "remember": "1"})
    assert "idp_bridge_device" in ok.headers.get("set-cookie", "")
    bridge.follow(ok)
    again = bridge.login("walt", prompt="login")
    claims = redeem(bridge, again.params["code"])
    assert claims["acr"] == "urn:idp-bridge:loa:1"  # the token says what happened: no second factor this time
    # A portal asking for MFA is not satisfied by a remembered device.
    demanded = bridge.login("walt", prompt="login", acr_values="urn:idp-bridge:loa:2")
    assert demanded.page is not None and "authenticator app" in demanded.page.text
    # After a reset (lost device) the cookie stops working.
    bridge.call(admin.reset_mfa, bridge.app, bridge.user_id("walt"))
    bridge.sees_signed_out_notice("mfa_reset")
    after = bridge.login("walt", prompt="login")
    assert after.page is not None and "Set up two-factor" in after.page.text


def test_forged_and_other_users_device_cookies_are_ignored(bridge: Bridge) -> None:
    secret, _, _ = enroll(bridge, "xena")
    result = bridge.login("xena", prompt="login")
    assert result.page is not None
    ok = bridge.post("/mfa/totp", {"csrf_token": csrf(result.page), "code": bridge.totp_at(secret, 1), "remember": "1"})
    bridge.follow(ok)
    xenas_cookie = bridge.client.cookies.get("idp_bridge_device")
    assert xenas_cookie
    # Another user presenting Xena's device cookie still needs their own second factor.
    enroll(bridge, "yuri", prompt="login")
    replace_cookie(bridge.client, "idp_bridge_device", xenas_cookie)
    other = bridge.login("yuri", prompt="login")
    assert other.page is not None and "authenticator app" in other.page.text
    assert audit_detail(bridge.db, "mfa.remembered_device.rejected")["reason"] == "other_user"
    # A forged cookie (changed token, signature no longer matches) is ignored too.
    forged_value = ("y" if xenas_cookie[0] != "y" else "z") + xenas_cookie[1:]
    replace_cookie(bridge.client, "idp_bridge_device", forged_value)
    forged = bridge.login("xena", prompt="login")
    assert forged.page is not None and "authenticator app" in forged.page.text
    assert audit_detail(bridge.db, "mfa.remembered_device.rejected")["reason"] == "bad_signature"
    # Xena's own, genuine cookie does skip MFA: the two refusals above were about the cookie, not the setup.
    replace_cookie(bridge.client, "idp_bridge_device", xenas_cookie)
    assert "code" in bridge.login("xena", prompt="login").params


def test_introspection_carries_acr_amr_auth_time(bridge: Bridge) -> None:
    _, _, done = enroll(bridge, "zoe")
    from tests.bridge_harness import PORTAL_REDIRECT, pkce_pair

    tokens = bridge.client.post(
        "/token", data={"grant_type": "authorization_code", "code": done.params["code"],
                        "redirect_uri": PORTAL_REDIRECT, "code_verifier": pkce_pair()[0]},
        auth=(PORTAL_ID, PORTAL_SECRET),
    ).json()  # fmt: skip
    answer = bridge.client.post("/introspect", data={"token": tokens["access_token"]}, auth=(PORTAL_ID, PORTAL_SECRET))
    body = answer.json()
    assert body["active"] and body["acr"] == "urn:idp-bridge:loa:2" and body["amr"] == ["otp", "mfa"]
    assert body["auth_time"] == int(bridge.clock.now())
    assert bridge.client.post("/introspect", data={"token": "nope"}, auth=(PORTAL_ID, PORTAL_SECRET)).json() == {
        "active": False
    }
    public = bridge.client.post("/introspect", data={"token": tokens["access_token"], "client_id": PUBLIC_PORTAL_ID})
    assert public.status_code == 401
    assert bridge.client.get("/.well-known/openid-configuration").json()["introspection_endpoint"].endswith(
        "/introspect"
    )

