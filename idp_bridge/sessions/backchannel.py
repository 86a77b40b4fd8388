"""OIDC Back-Channel Logout 1.0: signed logout tokens POSTed to every portal that received tokens in an ended
session, in the background, with a timeout per attempt, a few retries with backoff, and the outcome recorded."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from typing import Any

import httpx2

from idp_bridge.bridge import Bridge
from idp_bridge.store.records.core import Session
from idp_bridge.store.records.session_rules import LogoutDelivery

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME = 120
"""Seconds a logout token is valid (its `exp`); receivers should also reject a `jti` they have seen."""

_log = logging.getLogger("idp_bridge.backchannel")


def logout_token_claims(issuer: str, client_id: str, session: Session, now: float, jti: str) -> dict[str, Any]:
    """Back-Channel Logout §2.4: iss, aud, iat, exp, jti, sub, sid, events; never a nonce."""
    iat = int(now)
    return {
        "iss": issuer,
        "aud": client_id,
        "iat": iat,
        "exp": iat + LOGOUT_TOKEN_LIFETIME,
        "jti": jti,
        "sub": session.user_id,
        "sid": session.id,
        "events": {BACKCHANNEL_EVENT: {}},
    }


async def schedule_logouts(bridge: Bridge, session: Session) -> int:
    """Record and start (in the background) one delivery per portal that received tokens in `session` and
    registered a backchannel_logout_uri; returns how many were scheduled. Never waits for a portal."""
    scheduled = 0
    now = bridge.clock.now()
    for client_id in await bridge.store.list_session_clients(session.id):
        portal = bridge.portals.get(client_id)
        if portal is None or portal.backchannel_logout_uri is None:
            continue
        jti = secrets.token_urlsafe(16)
        delivery = LogoutDelivery(
            id=secrets.token_hex(12), session_id=session.id, client_id=client_id, uri=portal.backchannel_logout_uri,
            jti=jti, reason=session.end_reason or "logout", status="pending", attempts=0, last_error=None,
            created_at=now, updated_at=now,
        )  # fmt: skip
        await bridge.store.save_logout_delivery(delivery)
        token = bridge.keys.sign(logout_token_claims(bridge.issuer, client_id, session, now, jti), typ="logout+jwt")
        bridge.sessions.spawn(deliver(bridge, delivery, token))
        scheduled += 1
    return scheduled


async def _post(http: httpx2.AsyncClient, uri: str, token: str, timeout: float) -> str | None:
    """One attempt; None on success (HTTP 200 or 204, §2.8), else what went wrong (no secrets)."""
    try:
        response = await http.post(
            uri,
            data={"logout_token": token},
            headers={"Cache-Control": "no-store"},
            timeout=timeout,
            follow_redirects=False,
        )
    except httpx2.TimeoutException:
        return "timeout"
    except httpx2.HTTPError as exc:
        return f"connection failed: {type(exc).__name__}"
    if response.status_code in (200, 204):
        return None
    return f"HTTP {response.status_code}"


async def deliver(bridge: Bridge, delivery: LogoutDelivery, token: str) -> LogoutDelivery:
    """Send the token, retrying with doubling delays; record every attempt's outcome and audit the end."""
    cfg = bridge.config.backchannel_logout
    delay = cfg.retry_delay_seconds
    error: str | None = "not attempted"
    for attempt in range(1, cfg.attempts + 1):
        error = await _post(bridge.sessions.http, delivery.uri, token, cfg.timeout_seconds)
        status = "delivered" if error is None else ("failed" if attempt == cfg.attempts else "pending")
        delivery = dataclasses.replace(
            delivery, attempts=attempt, status=status, last_error=error, updated_at=bridge.clock.now()
        )
        await bridge.store.save_logout_delivery(delivery)
        if error is None:
            break
        if attempt < cfg.attempts:
            await asyncio.sleep(delay)
            delay *= 2
    await bridge.auditor.record(
        "logout.backchannel", "success" if error is None else "failure", client_id=delivery.client_id,
        session_id=delivery.session_id, attempts=delivery.attempts, error=error, reason=delivery.reason,
    )  # fmt: skip
    if error is not None:
        _log.warning(
            "back-channel logout to %s failed after %d attempts: %s", delivery.client_id, delivery.attempts, error
        )
    return delivery
