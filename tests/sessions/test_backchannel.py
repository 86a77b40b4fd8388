"""Back-channel logout delivery: retried with backoff, outcome recorded, never blocking the logout itself; and
advertised in discovery."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from idp_bridge.sessions.end import end_session
from tests.bridge_harness import free_port
from tests.session_fixtures import BridgeFactory, bridge_of, portal_login, run_in_bridge, settle
from tests.session_harness import logout_receiver
from tests.store_peek import audit_types


def _sid(client: object, tokens: dict[str, object]) -> str:
    sid: str = bridge_of(client).keys.verify(str(tokens["id_token"]))["sid"]  # type: ignore[arg-type]
    return sid


def test_failed_attempts_are_retried_and_recorded(make_bridge: BridgeFactory) -> None:
    with logout_receiver(statuses=[500, 503]) as flaky, make_bridge(backchannel_uri=flaky.url) as client:
        sid = _sid(client, portal_login(client))
        run_in_bridge(client, end_session, bridge_of(client), sid, "logout")
        tokens = [flaky.next_token() for _ in range(3)]
        settle(client)
        deliveries = run_in_bridge(client, bridge_of(client).store.list_logout_deliveries, sid)
        assert [(d.status, d.attempts, d.last_error) for d in deliveries] == [("delivered", 3, None)]
        assert len(set(tokens)) == 1  # the same token (same jti) each time


def test_a_dead_portal_is_recorded_as_failed(make_bridge: BridgeFactory) -> None:
    dead = f"http://127.0.0.1:{free_port()}/backchannel-logout"  # nothing listens there
    with make_bridge(backchannel_uri=dead) as client:
        sid = _sid(client, portal_login(client))
        run_in_bridge(client, end_session, bridge_of(client), sid, "logout")
        settle(client)
        [delivery] = run_in_bridge(client, bridge_of(client).store.list_logout_deliveries, sid)
        assert (delivery.status, delivery.attempts) == ("failed", 3)
        assert delivery.last_error is not None and delivery.last_error.startswith("connection failed")
        assert ("logout.backchannel", "failure") in audit_types(bridge_of(client).config.store.path)


def test_a_slow_portal_never_delays_the_logout(make_bridge: BridgeFactory) -> None:
    options = {"backchannel": {"timeout_seconds": 0.3, "attempts": 1, "retry_delay_seconds": 0.0}}
    with logout_receiver(delay=1.5) as slow, make_bridge(backchannel_uri=slow.url, **options) as client:
        tokens = portal_login(client)
        started = time.monotonic()
        response = client.get("/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
        assert response.status_code == 200 and "You are signed out" in response.text
        assert time.monotonic() - started < 1.0  # the portal's 1.5 s never reached the browser
        slow.next_token()
        settle(client)
        [delivery] = run_in_bridge(client, bridge_of(client).store.list_logout_deliveries, _sid(client, tokens))
        assert (delivery.status, delivery.last_error) == ("failed", "timeout")


def test_portals_without_tokens_in_the_session_are_not_told(make_bridge: BridgeFactory) -> None:
    with logout_receiver() as receiver, make_bridge(backchannel_uri=receiver.url) as client:
        from tests.session_fixtures import sign_in

        sign_in(client)  # a code, never redeemed: the portal holds no tokens of this session
        ended = run_in_bridge(
            client, bridge_of(client).store.end_expired_sessions, bridge_of(client).clock.now() + 10**6
        )
        assert len(ended) == 1
        receiver.assert_none()


def test_discovery_advertises_logout(make_bridge: BridgeFactory) -> None:
    with make_bridge(refresh=True) as client:
        doc = client.get("/.well-known/openid-configuration").json()
        assert doc["end_session_endpoint"] == f"{doc['issuer']}/logout"
        assert doc["backchannel_logout_supported"] is True
        assert doc["backchannel_logout_session_supported"] is True
        assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    with make_bridge() as client:
        assert client.get("/.well-known/openid-configuration").json()["grant_types_supported"] == [
            "authorization_code"
        ]
