"""The records the store keeps. All are frozen; times are POSIX seconds from the injected clock.

Secrets handed to browsers or portals (session tokens, authorization codes, access tokens) are never stored:
records are keyed on their SHA-256 (`secret_hash`), so a leaked database yields no usable credential.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any


def secret_hash(secret: str) -> str:
    """The store key of a bearer secret (hex SHA-256)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class AuthRequest:
    """A portal's validated /authorize request, parked while the technician signs in upstream."""

    id: str
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str
    prompt: str | None
    max_age: int | None
    login_hint: str | None
    acr_values: str | None
    provider_hint: str | None
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class LoginFlow:
    """Server-side state of one upstream login, keyed on the `state` sent upstream; consumed exactly once.

    `browser_binding_hash` is the hash of a cookie set on the browser that started the flow, so a callback URL
    replayed in another browser is refused.
    """

    state: str
    provider_id: str
    auth_request_id: str
    flow_state: dict[str, Any]
    browser_binding_hash: str
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class User:
    """A technician, keyed on the immutable upstream (issuer, subject); email is informational."""

    id: str
    issuer: str
    subject: str
    provider_id: str
    email: str | None
    name: str | None
    created_at: float
    last_login_at: float
    disabled: bool = False


@dataclass(frozen=True)
class Session:
    """A signed-in browser. `id` is public (the `sid` claim); the browser holds a secret token whose hash is
    `token_hash`. A session is live while not ended, `now < expires_at` and `now < last_seen_at + idle_timeout`."""

    id: str
    token_hash: str
    user_id: str
    provider_id: str
    auth_time: int
    amr: tuple[str, ...]
    acr: str | None
    created_at: float
    last_seen_at: float
    expires_at: float
    idle_timeout: float
    user_agent: str | None = None
    ip: str | None = None
    ended_at: float | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class AuthCode:
    """An authorization code (keyed on its hash) with everything /token needs to mint tokens."""

    code_hash: str
    client_id: str
    redirect_uri: str
    user_id: str
    session_id: str
    scope: str
    nonce: str | None
    code_challenge: str
    auth_time: int
    amr: tuple[str, ...]
    acr: str | None
    created_at: float
    expires_at: float


class CodeTakeStatus(enum.Enum):
    OK = "ok"  # first redemption, within its lifetime
    REPLAYED = "replayed"  # redeemed before: the caller revokes what the first redemption issued
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CodeTake:
    status: CodeTakeStatus
    code: AuthCode | None = None


@dataclass(frozen=True)
class AccessToken:
    """An opaque access token (keyed on its hash), bound to the session and to the code that issued it."""

    token_hash: str
    client_id: str
    user_id: str
    session_id: str
    scope: str
    code_hash: str | None
    created_at: float
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True)
class AuditEvent:
    """One append-only audit record. `detail` never holds secrets."""

    id: str
    at: float
    type: str
    outcome: str  # "success" | "failure" | "denied"
    user_id: str | None = None
    client_id: str | None = None
    provider_id: str | None = None
    session_id: str | None = None
    ip: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None  # the HTTP request that caused it, as in the access log and X-Request-ID
    user_agent: str | None = None
