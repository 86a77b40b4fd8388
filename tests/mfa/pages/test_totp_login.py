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


def _verify_page(bridge: Bridge, user: str) -> str:
    result = bridge.login(user, prompt="login")
    assert result.page is not None and "authenticator app" in result.page.text, result.steps
    return csrf(result.page)


def test_wrong_code_keeps_the_login_and_reminds_about_the_phone_clock(bridge: Bridge) -> None:
    secret, _, _ = enroll(bridge, "erin")
    token = _verify_page(bridge, "erin")
    wrong = bridge.post("/mfa/totp", {"csrf_token": token, "code": "000000" if bridge.totp_at(secret, 1) != "000000"
                                      else "111111"})  # fmt: skip
    assert wrong.status_code == 400
    assert "not correct" in alert(wrong)
    assert "set your phone's date and time to" in wrong.text and "automatic" in wrong.text
    assert 'name="code"' in wrong.text  # the form is back: nothing lost
    done = bridge.follow(bridge.post("/mfa/totp", {"csrf_token": token, "code": bridge.totp_at(secret, 1)}))
    assert "code" in done.params


def test_growing_delays_then_lockout_then_recovery_code(tmp_path: Path, upstreams: dict[str, str],
                                                        key_file: Path) -> None:  # fmt: skip
    config = mfa_config(tmp_path, upstreams, key_file, max_failures=5, delay_after_failures=2, failure_delay_seconds=10)
    with mfa_bridge(config) as bridge:
        secret, codes, _ = enroll(bridge, "frank")
        token = _verify_page(bridge, "frank")
        good = bridge.totp_at(secret, 1)
        bad = "123456" if good != "123456" else "654321"
        statuses = []
        for _ in range(2):
            statuses.append(bridge.post("/mfa/totp", {"csrf_token": token, "code": bad}).status_code)
        throttled = bridge.post("/mfa/totp", {"csrf_token": token, "code": good})  # even the right code waits
        assert (statuses, throttled.status_code) == ([400, 400], 429)
        assert "Wait 10 seconds" in alert(throttled)
        bridge.clock.advance(10)
        assert bridge.post("/mfa/totp", {"csrf_token": token, "code": bad}).status_code == 400  # 3rd failure
        throttled = bridge.post("/mfa/totp", {"csrf_token": token, "code": bad})
        assert "Wait 20 seconds" in alert(throttled)  # the delay doubled
        for _ in range(2):
            bridge.clock.advance(40)
            last = bridge.post("/mfa/totp", {"csrf_token": token, "code": bad})
        assert last.status_code == 403 and "disabled after 5 wrong codes" in alert(last)
        bridge.clock.advance(300)  # far past any delay (the login itself is still open)
        locked = bridge.post("/mfa/totp", {"csrf_token": token, "code": bridge.totp_at(secret)})
        assert locked.status_code == 403  # stays disabled, even with the right code
        assert ("mfa.locked", "failure") in audit_types(bridge.db)
        # A recovery code is another authenticator: it still works.
        used = bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": codes[0].lower()})
        assert used.status_code == 200 and "9 recovery codes left" in used.text
        done = bridge.follow(bridge.post("/mfa/complete", {"csrf_token": token}))
        assert redeem(bridge, done.params["code"])["acr"] == "urn:idp-bridge:loa:2"


def test_recovery_code_works_once(bridge: Bridge) -> None:
    _, codes, _ = enroll(bridge, "gina")
    token = _verify_page(bridge, "gina")
    assert bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": codes[3]}).status_code == 200
    bridge.follow(bridge.post("/mfa/complete", {"csrf_token": token}))
    token = _verify_page(bridge, "gina")
    again = bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": codes[3]})
    assert again.status_code == 400 and "already used" in alert(again)
    assert ("mfa.recovery_code.replayed", "failure") in audit_types(bridge.db)
    malformed = bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": "O0O0-1111"})
    assert malformed.status_code == 400 and "8 letters and digits" in alert(malformed)


def test_recovery_code_double_click_is_refused_without_counting_a_failure(bridge: Bridge) -> None:
    _, codes, _ = enroll(bridge, "hugo")
    token = _verify_page(bridge, "hugo")
    first = bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": codes[2]})
    assert first.status_code == 200 and "9 recovery codes left" in first.text
    bridge.clock.advance(2)  # the second click of a double-click
    second = bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": codes[2]})
    assert "location" not in second.headers  # never a second sign-in
    user_id = bridge.user_id("hugo")
    assert bridge.call(bridge.store.get_failures, user_id, "recovery").failures == 0
    assert ("mfa.recovery_code.replayed", "failure") in audit_types(bridge.db)  # still audited
    bridge.follow(bridge.post("/mfa/complete", {"csrf_token": token}))
    assert bridge.post("/mfa/complete", {"csrf_token": token}).status_code == 400  # the login finished once
    # A replay long after the code was accepted is a guess at a spent code: it counts.
    bridge.clock.advance(60)
    token = _verify_page(bridge, "hugo")
    late = bridge.post("/mfa/recovery", {"csrf_token": token, "recovery_code": codes[2]})
    assert late.status_code == 400 and "already used" in alert(late)
    assert bridge.call(bridge.store.get_failures, user_id, "recovery").failures == 1


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        ({"code": "123456"}, 403, "security token"),
        ({"code": "123456", "csrf_token": "forged"}, 403, "security token"),
        ({"code": "1" * 5000, "csrf_token": "__csrf__"}, 400, "too long"),
        ({"code": "12345x", "csrf_token": "__csrf__"}, 400, "Enter the 6 digits"),
    ],
    ids=["missing-csrf", "forged-csrf", "oversized", "not-digits"],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    bridge: Bridge, data: dict[str, str], status: int, text: str
) -> None:
    secret, _, _ = enroll(bridge, "hank")
    token = _verify_page(bridge, "hank")
    data = {k: token if v == "__csrf__" else v for k, v in data.items()}
    before = len(audit_types(bridge.db))
    refused = bridge.post("/mfa/totp", data)
    assert refused.status_code == status
    assert text in refused.text and "Traceback" not in refused.text
    assert len(audit_types(bridge.db)) == before + 1  # audited
    from tests.store_peek import counts

    sessions_before = counts(bridge.db)["sessions"]
    # Nothing lost, no failure counted: the right code still signs in at once (no delay).
    done = bridge.follow(bridge.post("/mfa/totp", {"csrf_token": token, "code": bridge.totp_at(secret, 1)}))
    assert "code" in done.params and counts(bridge.db)["sessions"] == sessions_before + 1


def test_oversized_body_is_refused(bridge: Bridge) -> None:
    enroll(bridge, "ivan")
    token = _verify_page(bridge, "ivan")
    refused = bridge.post("/mfa/totp", {"csrf_token": token, "code": "1" * 70_000})
    assert refused.status_code == 413 and "too large" in refused.text


def test_no_or_forged_pending_cookie(bridge: Bridge) -> None:
    bridge.client.cookies.clear()
    page = bridge.client.get("/mfa")
    assert page.status_code == 400 and "Sign-in expired" in page.text
    bridge.client.cookies.set("idp_bridge_mfa", "forged.value", path="/mfa")
    assert bridge.post("/mfa/totp", {"code": "123456"}).status_code == 400
    assert ("mfa.rejected", "failure") in audit_types(bridge.db)


def test_pending_login_expires_with_the_login_timeout(bridge: Bridge) -> None:
    result = bridge.login("jane")
    assert result.page is not None
    token = csrf(result.page)
    bridge.clock.advance(601)
    expired = bridge.post("/mfa/enroll", {"csrf_token": token, "code": "123456"})
    assert expired.status_code == 400 and "expired" in expired.text


def test_key_rotation_reencrypts_at_next_use(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    import sqlite3

    from pydantic import SecretStr

    old_key, new_key = SecretStr("a" * 40), SecretStr("b" * 40)
    with mfa_bridge(mfa_config(tmp_path, upstreams, key_file, encryption_key=old_key)) as first:
        secret, _, _ = enroll(first, "kim")
    def stored() -> str:
        with sqlite3.connect(first.db) as conn:
            value: str = conn.execute("SELECT secret FROM totp_authenticators").fetchone()[0]
        conn.close()
        return value

    before = stored()
    assert secret not in before  # encrypted at rest
    rotated = mfa_config(tmp_path, upstreams, key_file, encryption_key=new_key, previous_encryption_key=old_key)
    with mfa_bridge(rotated) as second:
        second.clock.advance(30)
        result = second.login("kim")
        assert result.page is not None
        answer = second.post("/mfa/totp", {"csrf_token": csrf(result.page), "code": second.totp_at(secret)})
        done = second.follow(answer)
        assert "code" in done.params
    after = stored()
    assert after.split(".")[1] != before.split(".")[1]  # now sealed under the new key's id
