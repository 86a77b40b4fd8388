"""What the Store conformance suites share: one sample of each core record, the instants, and race()."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from idp_bridge.store.records.core import (
    AccessToken,
    AuditEvent,
    AuthCode,
    AuthRequest,
    LoginFlow,
    Session,
    secret_hash,
)

T = TypeVar("T")

T0 = 1_700_000_000.0
CODE_GRACE = 600.0  # the contract's minimum: a code record is kept this long past its expiry
RACERS = 20

AUTH_REQUEST = AuthRequest(
    id="ar-1",
    client_id="portal",
    redirect_uri="https://portal.test/callback",
    scope="openid email profile",
    state="portal-state",
    nonce="portal-nonce",
    code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    prompt="login",
    max_age=300,
    login_hint="tech@example.com",
    acr_values="urn:idp-bridge:mfa",
    provider_hint="entra",
    created_at=T0,
    expires_at=T0 + 600,
)
LOGIN_FLOW = LoginFlow(
    state="upstream-state-1",
    provider_id="entra",
    auth_request_id="ar-1",
    flow_state={"nonce": "n", "code_verifier": "v" * 43, "nested": {"list": [1, 2.5, "x"], "none": None, "t": True}},
    browser_binding_hash=secret_hash("binding-cookie"),
    created_at=T0,
    expires_at=T0 + 600,
)
SESSION = Session(
    id="sid-1",
    token_hash=secret_hash("session-token-1"),
    user_id="u-1",
    provider_id="entra",
    auth_time=int(T0),
    amr=("pwd", "otp", "mfa"),
    acr="urn:idp-bridge:mfa",
    created_at=T0,
    last_seen_at=T0,
    expires_at=T0 + 8 * 3600,
    idle_timeout=1800.0,
    user_agent="Mozilla/5.0",
    ip="10.0.0.7",
)
CODE = AuthCode(
    code_hash=secret_hash("code-1"),
    client_id="portal",
    redirect_uri="https://portal.test/callback",
    user_id="u-1",
    session_id="sid-1",
    scope="openid email",
    nonce="portal-nonce",
    code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    auth_time=int(T0),
    amr=("pwd", "mfa"),
    acr="urn:idp-bridge:mfa",
    created_at=T0,
    expires_at=T0 + 60,
)
ACCESS_TOKEN = AccessToken(
    token_hash=secret_hash("access-token-1"),
    client_id="portal",
    user_id="u-1",
    session_id="sid-1",
    scope="openid email",
    code_hash=CODE.code_hash,
    created_at=T0,
    expires_at=T0 + 3600,
)
EVENT = AuditEvent(
    id="ev-1",
    at=T0,
    type="login",
    outcome="success",
    user_id="u-1",
    client_id="portal",
    provider_id="entra",
    session_id="sid-1",
    ip="10.0.0.7",
    detail={"amr": ["pwd", "mfa"], "acr": "urn:idp-bridge:mfa"},
)

AUDIT = [  # the events of the audit filter table
    AuditEvent(id="e1", at=T0 + 1, type="login", outcome="success", user_id="u-1"),
    AuditEvent(id="e2", at=T0 + 2, type="login", outcome="success", user_id="u-2"),
    AuditEvent(id="e3", at=T0 + 3, type="logout", outcome="success", user_id="u-1"),
    AuditEvent(id="e4", at=T0 + 4, type="mfa", outcome="denied", user_id="u-1", detail={"why": "otp"}),
    AuditEvent(id="e5", at=T0 + 5, type="login", outcome="failure"),
]


# (offset of `now` from expires_at, whether the record is still readable): expiry is `expires_at <= now`.
EXPIRY_EDGES = [(-60.0, True), (-0.001, True), (0.0, False), (0.001, False), (86_400.0, False)]


def session(n: int, **changes: Any) -> Session:
    """A distinct session (own id and token) derived from SESSION."""
    return dataclasses.replace(SESSION, id=f"sid-{n}", token_hash=secret_hash(f"session-token-{n}"), **changes)


async def race(n: int, call: Callable[[], Awaitable[T]]) -> list[T]:
    """Start `n` calls at once and collect their results."""
    return list(await asyncio.gather(*(call() for _ in range(n))))
