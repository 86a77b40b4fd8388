"""No secret or code in any log line: a whole login with TOTP enrollment, a token exchange with the client secret,
userinfo, a second login with a TOTP code, a recovery code, refusals and an admin API action, all logged at DEBUG
through the bridge's own JSON log set-up, and every line scanned for each secret the run handled."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from idp_bridge.admin.api_tokens import create_token
from idp_bridge.config.logging_model import LoggingConfig
from idp_bridge.observability.log_setup import configure_logging
from tests.bridge_harness import PORTAL_ID, PORTAL_REDIRECT, PORTAL_SECRET, pkce_pair
from tests.mfa.mfa_harness import csrf, enroll, mfa_bridge, mfa_config


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    configure_logging(LoggingConfig(format="json", level="debug"), stream=out)
    yield out
    root.handlers[:] = handlers
    root.setLevel(level)


def _leaks(text: str, secrets: set[str]) -> list[str]:
    """Each secret found as a whole token (a 6-digit code inside a longer hex id is not that code)."""
    return sorted(s for s in secrets if re.search(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])", text))


def test_a_whole_login_mfa_token_and_admin_run_logs_no_secret_or_code(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path, log_output: io.StringIO
) -> None:
    config = mfa_config(tmp_path, upstreams, key_file)
    secrets = {PORTAL_SECRET, config.server.secret_key.get_secret_value()}
    with mfa_bridge(config) as b:
        upstream_redirects: list[str] = []
        b.driver.upstream.event_hooks["response"].append(
            lambda response: upstream_redirects.append(response.headers.get("location", ""))
        )
        totp_secret, recovery, done = enroll(b, "dave")
        secrets |= {totp_secret, *recovery, done.params["code"], done.params["state"]}
        verifier, _ = pkce_pair()
        exchange = {"grant_type": "authorization_code", "code": done.params["code"], "redirect_uri": PORTAL_REDIRECT,
                    "code_verifier": verifier}  # fmt: skip
        assert b.client.post("/token", data=exchange, auth=(PORTAL_ID, "wrong-secret-XYZ123")).status_code == 401
        tokens = b.client.post("/token", data=exchange, auth=(PORTAL_ID, PORTAL_SECRET)).json()
        secrets |= {tokens["access_token"], tokens["id_token"], "wrong-secret-XYZ123"}
        assert b.client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).is_success
        assert b.client.get("/userinfo", params={"access_token": "forged-access-token-987"}).status_code >= 400
        secrets.add("forged-access-token-987")

        again = b.login("dave", prompt="login", login_hint="dave@example.com", state="portal-state-QRS")
        assert again.page is not None
        code = b.totp_at(totp_secret, 1)
        wrong = "000000" if code != "000000" else "111111"
        assert b.post("/mfa/totp", {"csrf_token": csrf(again.page), "code": wrong}).status_code == 400
        second = b.follow(b.post("/mfa/totp", {"csrf_token": csrf(again.page), "code": code}))
        secrets |= {code, wrong, second.params["code"], "portal-state-QRS"}

        third = b.login("dave", prompt="login")
        assert third.page is not None
        used = b.post("/mfa/recovery", {"csrf_token": csrf(third.page), "recovery_code": recovery[0]})
        assert used.status_code == 200, used.text[:500]
        secrets |= {value for name, value in b.client.cookies.items()}

        bearer, _ = b.call(create_token, b.store, name="ops", scopes=frozenset({"technicians:write"}),
                           lifetime_seconds=3600, created_by="test", now=b.clock.now())  # fmt: skip
        secrets.add(str(bearer))
        reset = b.client.post(f"/admin/api/technicians/{b.user_id('dave')}/reset-mfa",
                              headers={"Authorization": f"Bearer {bearer}"})  # fmt: skip
        assert reset.status_code == 200, reset.text

    # The upstream's codes and state on its redirects back to the bridge (these pass the bridge's HTTP client too).
    for location in upstream_redirects:
        secrets |= {v for k, v in parse_qsl(urlsplit(location).query) if k in ("code", "state")}
    assert len(upstream_redirects) >= 3
    text = log_output.getvalue()
    records = [json.loads(line) for line in text.splitlines()]
    routes = {r.get("route") for r in records if r["logger"] == "idp_bridge.access"}
    # The scan saw the whole run: every step's access line is there.
    assert {"/authorize", "/mfa/enroll", "/mfa/totp", "/mfa/recovery", "/token", "/userinfo",
            "/admin/api/technicians/{user_id}/reset-mfa"} <= routes  # fmt: skip
    assert any(r["logger"] == "idp_bridge.audit" for r in records)  # DEBUG lines scanned too
    secrets.discard("")
    assert _leaks(text, secrets) == []
