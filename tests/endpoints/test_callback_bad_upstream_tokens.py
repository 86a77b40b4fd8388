"""A misbehaving upstream (bad id_tokens) seen through the bridge: a clear 4xx page, nothing created, audited.

A real provider process cannot be made to sign bad tokens, so the upstream here is the transport-level fake
from tests/providers; the bridge around it is the real app.
"""

from __future__ import annotations

import base64
import html
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest
from joserfc.jwk import RSAKey
from starlette.testclient import TestClient

from idp_bridge.app import create_app
from idp_bridge.clock import FrozenClock
from providers.base import OIDCSettings
from providers.oidc import OIDCProvider
from tests.bridge_harness import (
    BRIDGE_ISSUER,
    PORTAL_ID,
    PORTAL_REDIRECT,
    PORTAL_SECRET,
    authorize_query,
    error_page_text,
    make_config,
    pkce_pair,
)
from tests.providers.fake_oidc_upstream import CLIENT_ID, CLIENT_SECRET, ISSUER, FakeUpstream, unsigned_token
from tests.store_peek import audit_types, counts, last_audit

NOW = 1_700_000_000.0


@pytest.fixture
def fake() -> FakeUpstream:
    return FakeUpstream(FrozenClock(NOW))


@pytest.fixture
def client(tmp_path: Path, key_file: Path, fake: FakeUpstream) -> Iterator[TestClient]:
    clock = FrozenClock(NOW)
    config = make_config(tmp_path, {"corp": ISSUER}, key_file=key_file)
    settings = OIDCSettings(issuer=ISSUER, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, display_name="Corp")
    provider = OIDCProvider("corp", settings, http=fake.client(), clock=clock)
    with TestClient(create_app(config, clock=clock, providers={"corp": provider}), base_url=BRIDGE_ISSUER) as c:
        yield c


def _login(client: TestClient, fake: FakeUpstream) -> Any:
    start = client.get("/authorize?" + urlencode(authorize_query()), follow_redirects=False)
    assert start.status_code == 303 and start.headers["location"].startswith(ISSUER)
    params = fake.authorize(start.headers["location"])
    return client.get("/callback/corp?" + urlencode(params), follow_redirects=False)


def _other_key() -> Any:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})  # same kid as the published key


def _set(**claims: Any) -> Callable[[FakeUpstream], None]:
    def apply(fake: FakeUpstream) -> None:
        fake.claims_patch.update(claims)

    return apply


def _apply_unsigned(fake: FakeUpstream) -> None:
    fake.token_factory = unsigned_token


def _apply_foreign_key(fake: FakeUpstream) -> None:
    fake.signing_key = _other_key()


BAD_TOKENS: list[tuple[str, Callable[[FakeUpstream], None], str]] = [
    ("bad signature", _apply_foreign_key, "signature"),
    ("alg none", _apply_unsigned, "none"),
    ("wrong iss", _set(iss="https://evil.test"), "issuer"),
    ("wrong aud", _set(aud="someone-else"), "audience"),
    ("expired", _set(exp=int(NOW) - 600, iat=int(NOW) - 900), "expired"),
    ("wrong nonce", _set(nonce="replayed-nonce"), "nonce"),
]


def test_a_good_upstream_token_signs_in(client: TestClient, fake: FakeUpstream, tmp_path: Path) -> None:
    """The control case: with nothing altered, the same harness completes the login."""
    response = _login(client, fake)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("http://127.0.0.1:7001/callback?code=")
    assert counts(str(tmp_path / "bridge.sqlite3"))["sessions"] == 1


@pytest.mark.parametrize(("case", "tamper", "word"), BAD_TOKENS, ids=[c[0] for c in BAD_TOKENS])
def test_bad_upstream_tokens_are_refused_and_create_nothing(
    client: TestClient, fake: FakeUpstream, tmp_path: Path, case: str, tamper: Callable[[FakeUpstream], None], word: str
) -> None:
    tamper(fake)
    response = _login(client, fake)
    assert response.status_code == 400
    assert "Sign-in failed" in response.text and "Traceback" not in response.text
    assert word in response.text.lower(), response.text
    db = str(tmp_path / "bridge.sqlite3")
    created = counts(db)
    assert (created["users"], created["sessions"], created["codes"], created["access_tokens"]) == (0, 0, 0, 0)
    assert created["login_flows"] == 0  # the flow was consumed, not left to be replayed
    assert audit_types(db)[-1] == ("login.failed", "failure")


def test_an_unreachable_token_endpoint_shows_a_plain_page_with_a_retry_link_and_keeps_the_detail_in_the_audit(
    client: TestClient, fake: FakeUpstream, tmp_path: Path
) -> None:
    def unreachable(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    fake.token_handler = unreachable
    response = _login(client, fake)
    assert response.status_code == 502
    title, message = error_page_text(response)
    assert title == "Sign-in provider unavailable"
    assert message == "Corp cannot be reached right now. Please try again in a moment."
    assert f"{ISSUER}/token" not in response.text and "ConnectError" not in response.text
    kind, _, detail = last_audit(str(tmp_path / "bridge.sqlite3"))
    assert kind == "login.failed" and detail["reason"] == "temporarily_unavailable"
    assert f"{ISSUER}/token" in detail["description"] and "ConnectError" in detail["description"]
    retry = re.search(r'<a id="retry" class="button" href="([^"]+)"', response.text)
    assert retry is not None
    again = client.get(html.unescape(retry.group(1)), follow_redirects=False)  # the portal's request is still open
    assert again.status_code == 303 and again.headers["location"].startswith(f"{ISSUER}/authorize")


def test_hostile_upstream_claims_reach_neither_the_users_table_nor_the_portal_and_the_cut_is_audited(
    client: TestClient, fake: FakeUpstream, tmp_path: Path
) -> None:
    fake.claims_patch.update(
        name="Mallory\r\n\x1b[31m\u202eevil <script>x</script>" + "m" * 10_000,
        email="mallory@example.com\r\nBcc: all@example.com",
    )
    response = _login(client, fake)
    assert response.status_code == 303, response.text
    db = str(tmp_path / "bridge.sqlite3")
    with sqlite3.connect(db) as conn:
        name, email = conn.execute("SELECT name, email FROM users").fetchone()
        rows = conn.execute("SELECT detail FROM audit_events WHERE type = 'login.claims_cut'").fetchall()
    cut = [json.loads(detail) for (detail,) in rows]
    assert name == "Mallory [31mevil <script>x</script>" + "m" * (256 - 35) and email is None
    assert [c["claims"] for c in cut] == ["name,email"]
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL_REDIRECT,
            "code_verifier": pkce_pair()[0]}  # fmt: skip
    tokens = client.post("/token", data=form, auth=(PORTAL_ID, PORTAL_SECRET))
    assert tokens.status_code == 200, tokens.text
    payload = tokens.json()["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["name"] == name and "email" not in claims  # what the portal sees is what was stored
