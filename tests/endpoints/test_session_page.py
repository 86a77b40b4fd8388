"""The bridge's session page and timer: time left, the idle warning, status that is not activity, keepalive
that is (CSRF-checked)."""

from __future__ import annotations

import re

from idp_bridge.clock import FrozenClock
from tests.bridge_harness import other_browser
from tests.session_fixtures import BridgeFactory, portal_login
from tests.store_peek import last_audit


def test_time_left_warning_and_keepalive(make_bridge: BridgeFactory, clock: FrozenClock) -> None:
    with make_bridge(sessions={"idle_timeout_seconds": 600, "idle_warning_seconds": 120}) as client:
        portal_login(client)
        page = client.get("/session")
        assert page.status_code == 200 and 'id="session-timer"' in page.text
        assert 'data-idle-left="600"' in page.text and 'src="/session/timer.js"' in page.text
        assert re.search(r'id="session-warning"[^>]*hidden', page.text)  # no warning yet
        csrf = re.search(r'data-csrf="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
        clock.advance(481)
        status = client.get("/session/status").json()
        assert status == {"idle_seconds_left": 119, "absolute_seconds_left": 43200 - 481, "warn_before_seconds": 120,
                          "warn": True}  # fmt: skip
        assert client.get("/session/status").json()["idle_seconds_left"] == 119  # looking is not activity
        assert client.post("/session/keepalive", headers={"X-CSRF-Token": "0" * 64}).status_code == 403
        assert last_audit(client.app.state.bridge.config.store.path)[2]["reason"] == "bad_csrf_token"  # type: ignore[attr-defined]
        assert other_browser(client).post("/session/keepalive", headers={"X-CSRF-Token": csrf}).status_code == 403
        alive = client.post("/session/keepalive", headers={"X-CSRF-Token": csrf})
        assert alive.status_code == 200 and alive.json()["idle_seconds_left"] == 600 and not alive.json()["warn"]
        clock.advance(600)
        assert client.get("/session/status").status_code == 401
        assert client.get("/session/timer.js").headers["content-type"].startswith("text/javascript")
