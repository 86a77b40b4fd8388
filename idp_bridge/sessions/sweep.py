"""The routes of sessions and logout (forward-auth, end_session_endpoint, session page) and the periodic sweep."""

from __future__ import annotations

import asyncio
import logging

from starlette.routing import Route

from idp_bridge.bridge import Bridge
from idp_bridge.endpoints import forward_auth_sign_in, logout, session_page
from idp_bridge.session_end import sweep_expired_sessions

SHUTDOWN_DRAIN_SECONDS = 5.0
"""At shutdown, back-channel deliveries still running get this long to finish."""

_log = logging.getLogger("idp_bridge.sessions")


def session_routes() -> list[Route]:
    """(/forward-auth and /forward-auth/redirect are answered ahead of routing: endpoints/forward_auth.py.)"""
    return [
        Route("/forward-auth/sign-in", forward_auth_sign_in.sign_in, methods=["GET"]),
        Route("/logout", logout.logout, methods=["GET", "POST"]),
        Route("/logout/confirm", logout.confirm, methods=["POST"]),
        Route("/session", session_page.page, methods=["GET"]),
        Route("/session/status", session_page.status, methods=["GET"]),
        Route("/session/keepalive", session_page.keepalive, methods=["POST"]),
        Route("/session/timer.js", session_page.timer_js, methods=["GET"]),
    ]


async def sweep_periodically(bridge: Bridge) -> None:
    """Every sessions.sweep_interval_seconds: end the sessions that ran out, and send their back-channel logouts."""
    while True:
        await asyncio.sleep(bridge.config.sessions.sweep_interval_seconds)
        try:
            ended = await sweep_expired_sessions(bridge)
            await bridge.store.purge_session_records(bridge.clock.now())
            if ended:
                _log.info("ended %d sessions that ran out", ended)
        except Exception:
            _log.exception("session sweep failed; will retry")
