"""The periodic session sweep: sessions that ran out are ended (portals told), and how long shutdown waits for them."""

from __future__ import annotations

import asyncio
import logging

from idp_bridge.bridge import Bridge
from idp_bridge.sessions.end import sweep_expired_sessions

SHUTDOWN_DRAIN_SECONDS = 5.0
"""At shutdown, back-channel deliveries still running get this long to finish."""

_log = logging.getLogger("idp_bridge.sessions")


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
