"""Writing audit events: one call per security-relevant outcome, never with secrets in the detail.

Within an HTTP request (AuditBuffering below) the events are collected and written together, in order and in one
store write, before the response starts (so whoever sees the response can find them) and, whatever happened, when
the request ends (an exception, a refusal page, a background task that ran meanwhile). Outside a request (CLI,
sweeps, back-channel deliveries after their request ended) each event is written at once.
"""

from __future__ import annotations

import logging
import secrets
from contextvars import ContextVar
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idp_bridge.clock import Clock
from idp_bridge.observability import request_context
from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.core import AuditEvent

_log = logging.getLogger("idp_bridge.audit")


class _Pending:
    """One request's events not yet written. Closed when the request ends: a task started by the request (it
    inherits this context) and recording later writes its event at once instead of into a list nobody flushes."""

    __slots__ = ("closed", "events")

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.closed = False


_pending: ContextVar[_Pending | None] = ContextVar("idp_bridge_audit_pending", default=None)


class Auditor:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def record(
        self,
        type: str,
        outcome: str,
        *,
        request: Request | None = None,
        user_id: str | None = None,
        client_id: str | None = None,
        provider_id: str | None = None,
        session_id: str | None = None,
        **detail: Any,
    ) -> None:
        # The request that caused the event, even when the caller passes none (admin actions); else "system".
        context = request_context.current()
        if context is not None:
            request_context.note_user(user_id)
            if outcome != "success":
                request_context.note_refusal(str(detail.get("reason") or type))
        if request is not None and request.client is not None:
            ip: str | None = request.client.host
        else:
            ip = context.client_ip if context is not None else request_context.SYSTEM
        event = AuditEvent(
            id=secrets.token_hex(16),  # uuid4() costs several times more on every login
            at=self._clock.now(),
            type=type,
            outcome=outcome,
            user_id=user_id,
            client_id=client_id,
            provider_id=provider_id,
            session_id=session_id,
            ip=ip,
            request_id=context.request_id if context is not None else None,
            user_agent=context.user_agent if context is not None else None,
            detail=detail,
        )
        pending = _pending.get()
        if pending is not None and not pending.closed:
            pending.events.append(event)
        else:
            await self._store.append_audit(event)
        _log.debug("audit %s %s client=%s provider=%s user=%s", type, outcome, client_id, provider_id, user_id)

    async def flush(self) -> None:
        """Write this request's pending events now (before reading the audit log in the same request)."""
        pending = _pending.get()
        if pending is not None and pending.events:
            events, pending.events = pending.events, []
            await self._store.append_audit_many(events)


class AuditBuffering:
    """ASGI middleware: the audit events of one HTTP request are written in one store write (see the module
    docstring for when). A login's callback records three or four events; each used to be its own commit."""

    def __init__(self, app: ASGIApp, auditor: Auditor) -> None:
        self.app = app
        self.auditor = auditor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending = _Pending()
        reset = _pending.set(pending)

        async def send_after_flush(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self.auditor.flush()
            await send(message)

        try:
            await self.app(scope, receive, send_after_flush)
        finally:
            pending.closed = True
            try:
                await self.auditor.flush()
            finally:
                _pending.reset(reset)
