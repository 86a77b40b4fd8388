"""The per-worker session cache's documented bounds: an end in the same worker is seen at once, in another
worker (another app on the same store) within 1 s; activity reaches the store at most every 30 s."""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

from starlette.testclient import TestClient

from idp_bridge.clock import FrozenClock
from idp_bridge.sessions.end import end_session
from tests.bridge_harness import LoginDriver
from tests.session_fixtures import BridgeFactory, bridge_of, run_in_bridge

APP = "app.test"
HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": APP, "X-Forwarded-Uri": "/"}


def _signed_in(client: TestClient) -> str:
    driver = LoginDriver(client)
    try:
        driver.login(f"/forward-auth/sign-in?rd={quote(f'https://{APP}/', safe='')}", provider="acme",
                     stop_prefix=(f"https://{APP}",))  # fmt: skip
    finally:
        driver.close()
    cookie = client.cookies.get(bridge_of(client).session_cookie.name)
    assert cookie is not None
    return cookie


def _status(client: TestClient, cookie: str) -> int:
    response = client.get("/forward-auth", headers={**HEADERS, "Cookie": f"idp_bridge_session={cookie}"})
    return response.status_code


def test_an_end_in_another_worker_is_seen_within_a_second(make_bridge: BridgeFactory, clock: FrozenClock) -> None:
    with make_bridge(protected_hosts=(APP,)) as worker_a, make_bridge(protected_hosts=(APP,)) as worker_b:
        cookie = _signed_in(worker_a)
        assert _status(worker_a, cookie) == 200 and _status(worker_b, cookie) == 200  # both cached it
        [session] = run_in_bridge(worker_a, bridge_of(worker_a).store.list_user_sessions, _user(worker_a), clock.now())
        run_in_bridge(worker_a, end_session, bridge_of(worker_a), session.id, "admin")
        assert _status(worker_a, cookie) == 401  # same worker: at once
        clock.advance(0.9)
        assert _status(worker_b, cookie) == 200  # other worker: still cached ...
        clock.advance(0.1)
        assert _status(worker_b, cookie) == 401  # ... for at most 1 s


def _user(client: TestClient) -> str:
    with sqlite3.connect(bridge_of(client).config.store.path) as db:
        user_id: str = db.execute("SELECT user_id FROM sessions WHERE ended_at IS NULL").fetchone()[0]
    db.close()
    return user_id


def test_activity_is_written_at_most_every_30_seconds(make_bridge: BridgeFactory, clock: FrozenClock) -> None:
    with make_bridge(protected_hosts=(APP,)) as client:
        cookie = _signed_in(client)
        db_path = bridge_of(client).config.store.path

        def stored_last_seen() -> float:
            with sqlite3.connect(db_path) as db:
                value: float = db.execute("SELECT last_seen_at FROM sessions WHERE ended_at IS NULL").fetchone()[0]
            db.close()
            return value

        start = stored_last_seen()
        for _ in range(29):
            clock.advance(1)
            assert _status(client, cookie) == 200
        assert stored_last_seen() == start  # 29 checks, no write
        clock.advance(1)
        assert _status(client, cookie) == 200
        assert stored_last_seen() == start + 30

