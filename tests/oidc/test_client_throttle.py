"""The /token back-off after failed client authentication: per claimed client_id and per address, stored (so
every worker applies it), one generic answer whether the client exists or not, audited under the client_id."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2
from starlette.testclient import TestClient

from idp_bridge.app import create_app
from idp_bridge.clock import FrozenClock
from idp_bridge.config.model import Config
from tests.bridge_harness import BRIDGE_ISSUER, PORTAL_ID, PORTAL_SECRET, make_config
from tests.store_peek import last_audit

# Authenticated requests carrying a bogus code: 400 invalid_grant proves the client authentication passed.
FORM = {"grant_type": "authorization_code", "code": "bogus", "redirect_uri": "x", "code_verifier": "v" * 43}
FREE_FAILURES = 5


def _token(client: TestClient, client_id: str, secret: str) -> httpx2.Response:
    return client.post("/token", data=FORM, auth=(client_id, secret))


def _config(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> Config:
    return make_config(tmp_path, upstreams, key_file=key_file)


def _assert_throttled(response: httpx2.Response, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "invalid_client" and "too many failed" in response.json()["error_description"]
    assert response.headers["retry-after"] == str(retry_after)


def test_wrong_client_secrets_are_slowed_down_and_the_right_one_waits_too(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    config = _config(tmp_path, upstreams, key_file)
    clock = FrozenClock(time.time())
    with TestClient(create_app(config, clock=clock), base_url=BRIDGE_ISSUER) as client:
        for _ in range(FREE_FAILURES):
            assert _token(client, PORTAL_ID, "wrong").status_code == 401
        _assert_throttled(_token(client, PORTAL_ID, "wrong"), 1)
        # While waiting, nothing is checked, not even the right secret (a guess must not be confirmed early).
        _assert_throttled(_token(client, PORTAL_ID, PORTAL_SECRET), 1)
        kind, outcome, detail = last_audit(config.store.path)
        assert (kind, outcome, detail["reason"], detail["client_id"]) == (
            "token.rejected", "failure", "invalid_client", PORTAL_ID,
        )  # fmt: skip
        clock.advance(1)
        assert _token(client, PORTAL_ID, "wrong").status_code == 401  # the sixth failure: now 2 s
        _assert_throttled(_token(client, PORTAL_ID, PORTAL_SECRET), 2)
        clock.advance(2)
        assert _token(client, PORTAL_ID, PORTAL_SECRET).json()["error"] == "invalid_grant"  # authenticated
        # A success forgets the failures: the next mistake is an ordinary 401 again.
        assert _token(client, PORTAL_ID, "wrong").status_code == 401
        assert _token(client, PORTAL_ID, PORTAL_SECRET).json()["error"] == "invalid_grant"


def test_an_unknown_client_id_gets_the_same_answers_as_a_known_one(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    config = _config(tmp_path, upstreams, key_file)
    clock = FrozenClock(time.time())
    answers: dict[str, list[tuple[int, str]]] = {}
    for client_id in (PORTAL_ID, "nobody"):
        with TestClient(create_app(config, clock=clock), base_url=BRIDGE_ISSUER) as client:
            replies = [_token(client, client_id, "wrong") for _ in range(FREE_FAILURES + 1)]
            answers[client_id] = [(r.status_code, r.json()["error_description"]) for r in replies]
            assert last_audit(config.store.path)[2]["client_id"] == client_id
        clock.advance(3600)  # the address's failures are forgotten before the next client
    assert answers[PORTAL_ID] == answers["nobody"]
    assert answers["nobody"][0] == (401, "client authentication failed")
    assert answers["nobody"][-1][0] == 429


def test_the_back_off_is_per_address_too_and_holds_across_workers(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    """Guessing across many client_ids from one address is slowed by the address's counter; a second worker
    on the same store (another process in production) sees the same counters."""
    config = _config(tmp_path, upstreams, key_file)
    clock = FrozenClock(time.time())
    with (
        TestClient(create_app(config, clock=clock), base_url=BRIDGE_ISSUER) as worker_a,
        TestClient(create_app(config, clock=clock), base_url=BRIDGE_ISSUER) as worker_b,
    ):
        for n in range(FREE_FAILURES):
            assert _token(worker_a, f"guess-{n}", "wrong").status_code == 401
        _assert_throttled(_token(worker_b, "guess-new", "wrong"), 1)  # a new client_id, the same address
        _assert_throttled(_token(worker_b, PORTAL_ID, PORTAL_SECRET), 1)
        clock.advance(1)
        assert _token(worker_b, PORTAL_ID, PORTAL_SECRET).json()["error"] == "invalid_grant"


def test_introspection_counts_and_obeys_the_same_back_off(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    config = _config(tmp_path, upstreams, key_file)
    with TestClient(create_app(config, clock=FrozenClock(time.time())), base_url=BRIDGE_ISSUER) as client:
        for _ in range(FREE_FAILURES):
            wrong = client.post("/introspect", data={"token": "t"}, auth=(PORTAL_ID, "wrong"))
            assert wrong.status_code == 401 and wrong.json()["error_description"] == "client authentication failed"
        kind, _, detail = last_audit(config.store.path)
        assert (kind, detail["client_id"]) == ("introspect.rejected", PORTAL_ID)
        _assert_throttled(client.post("/introspect", data={"token": "t"}, auth=(PORTAL_ID, PORTAL_SECRET)), 1)
        _assert_throttled(_token(client, PORTAL_ID, PORTAL_SECRET), 1)


def test_behind_a_trusted_proxy_the_address_back_off_counts_the_forwarded_client(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path
) -> None:
    """Through one proxy, a guessing client is slowed and another portal behind the same proxy is not: the
    address counter is the forwarded client's, not the proxy's."""
    config = _config(tmp_path, upstreams, key_file)
    config = config.model_copy(update={"server": config.server.model_copy(update={"trusted_proxies": ("10.0.0.0/8",)})})
    guesser, portal = {"X-Forwarded-For": "203.0.113.1"}, {"X-Forwarded-For": "203.0.113.2"}
    with TestClient(create_app(config), base_url=BRIDGE_ISSUER, client=("10.0.0.5", 4000)) as proxy:
        for n in range(FREE_FAILURES):
            assert proxy.post("/token", data=FORM, auth=(f"guess-{n}", "x"), headers=guesser).status_code == 401
        _assert_throttled(proxy.post("/token", data=FORM, auth=("guess-new", "x"), headers=guesser), 1)
        answer = proxy.post("/token", data=FORM, auth=(PORTAL_ID, PORTAL_SECRET), headers=portal)
        assert answer.json()["error"] == "invalid_grant"
