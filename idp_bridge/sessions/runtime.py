"""Per-worker session machinery: the session cache and the background tasks (back-channel deliveries, sweep)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

import httpx2

from idp_bridge.forward_auth.target import ForwardAuthSettings
from idp_bridge.sessions.cache import SessionCache

_log = logging.getLogger("idp_bridge.sessions")


class SessionRuntime:
    """Created once per app (per worker process). `spawn` runs work after the response has been sent: a slow or
    dead portal never delays a logout."""

    def __init__(
        self, http: httpx2.AsyncClient, forward_auth: ForwardAuthSettings, cache: SessionCache | None = None
    ) -> None:
        self.http = http
        self.forward_auth = forward_auth
        self.cache = cache or SessionCache()
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("background session task failed: %r", task.exception())

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for background work, then cancel what is left (at shutdown)."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
