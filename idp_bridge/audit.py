"""Writing audit events: one call per security-relevant outcome, never with secrets in the detail."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from starlette.requests import Request

from idp_bridge.clock import Clock
from idp_bridge.store.base import Store
from idp_bridge.store.records import AuditEvent

_log = logging.getLogger("idp_bridge.audit")


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
        event = AuditEvent(
            id=secrets.token_hex(16),  # uuid4() costs several times more on every login
            at=self._clock.now(),
            type=type,
            outcome=outcome,
            user_id=user_id,
            client_id=client_id,
            provider_id=provider_id,
            session_id=session_id,
            ip=request.client.host if request is not None and request.client is not None else None,
            detail=detail,
        )
        await self._store.append_audit(event)
        _log.debug("audit %s %s client=%s provider=%s user=%s", type, outcome, client_id, provider_id, user_id)
