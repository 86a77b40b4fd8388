"""Step-up to local TOTP through the in-process bridge and a real upstream: enrollment, login, replay, drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bridge_harness import PORTAL_ID, PORTAL_REDIRECT, PORTAL_SECRET, pkce_pair
from tests.mfa.mfa_harness import Bridge, alert, csrf, enroll, mfa_bridge, mfa_config
from tests.store_peek import audit_types, live_sessions


@pytest.fixture
def bridge(tmp_path: Path, upstreams: dict[str, str], key_file: Path):  # type: ignore[no-untyped-def]
    with mfa_bridge(mfa_config(tmp_path, upstreams, key_file)) as b:
        yield b


def redeem(bridge: Bridge, code: str) -> dict[str, object]:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    verifier, _ = pkce_pair()
    response = bridge.client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL_REDIRECT,
              "code_verifier": verifier},
        auth=(PORTAL_ID, PORTAL_SECRET),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    keys = KeySet.import_key_set(bridge.client.get("/jwks").json())
    claims: dict[str, object] = jwt.decode(response.json()["id_token"], keys).claims
    return claims


def test_first_login_enrolls_then_totp_logs_in(bridge: Bridge) -> None:
    secret, codes, done = enroll(bridge, "dave")
    assert len(secret) == 32 and len(codes) == 10
    claims = redeem(bridge, done.params["code"])
    assert claims["acr"] == "urn:idp-bridge:loa:2"
    assert claims["amr"] == ["otp", "mfa"]  # the mock's arbitrary users carry no amr
    assert claims["auth_time"] == int(bridge.clock.now())

    result = bridge.login("dave", prompt="login")  # a live session would give single sign-on
    assert result.page is not None and "Enter the code from your authenticator app" in result.page.text
    token = csrf(result.page)
    # The enrollment code's time step is used up: it cannot log in.
    replay = bridge.post("/mfa/totp", {"csrf_token": token, "code": bridge.totp_at(secret)})
    assert replay.status_code == 400
    assert "already used" in alert(replay)
    # The next time step (one step of drift is accepted) works once.
    ok = bridge.post("/mfa/totp", {"csrf_token": token, "code": bridge.totp_at(secret, 1)})
    done = bridge.follow(ok)
    assert redeem(bridge, done.params["code"])["acr"] == "urn:idp-bridge:loa:2"
    types = [t for t, _ in audit_types(bridge.db)]
    assert {"mfa.step_up.required", "mfa.totp.enrolled", "mfa.recovery_codes.issued", "mfa.totp.replayed",
            "mfa.totp.success"} <= set(types)  # fmt: skip
    assert live_sessions(bridge.db) == 1  # each login replaced the browser's previous session
