"""Records of the session rules: per-technician settings, refresh tokens, portals per session, logout deliveries.

Like records/core.py: frozen, times are POSIX seconds from the injected clock, bearer secrets stored only as hashes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

END_REASONS = frozenset(
    {"logout", "evicted", "idle", "absolute", "mfa_changed", "mfa_reset", "disabled", "policy_changed",
     "replaced_by_new_login", "admin"}
)  # fmt: skip
"""Every reason a session may end with (Session.end_reason)."""


@dataclass(frozen=True)
class UserSessionSettings:
    """A technician's own session settings (table user_session_settings); None means "the role's default".
    The local role lives in the technician record (TechnicianMFASettings.role); the session rules and the MFA
    requirement alike read the effective role (local combined with mapped: idp_bridge/roles/effective.py)."""

    user_id: str
    idle_timeout_seconds: int | None = None
    lifetime_seconds: int | None = None
    max_sessions: int | None = None
    updated_at: float = 0.0


@dataclass(frozen=True)
class SessionIdentity:
    """What the upstream said about the account at a session's login, kept with the session (table
    session_groups): the groups (forward-auth's groups header), and the Entra tenant / Google domain, app roles and
    group-overage flag that, with the groups, the provider's global identity rule checks when a new policy version
    is saved (policies.identity_allow_list.session_still_allowed). Sessions opened before these facts were kept
    have none (get_session_identity is None) and cannot be judged."""

    groups: tuple[str, ...] = ()
    tenant: str | None = None
    roles: tuple[str, ...] = ()
    groups_overage: bool = False


@dataclass(frozen=True)
class RefreshToken:
    """A refresh token (keyed on its hash), bound to one session; `family_id` links every rotation of it. A family
    started by a code exchange has the code's hash as its `family_id`, so a replayed code revokes the family
    (Store.revoke_tokens_for_code), and access tokens minted by its refreshes carry it as their `code_hash`."""

    token_hash: str
    family_id: str
    client_id: str
    user_id: str
    session_id: str
    scope: str
    created_at: float
    expires_at: float
    rotated_at: float | None = None
    revoked: bool = False


class RefreshStatus(enum.Enum):
    OK = "ok"  # rotated: the old token is spent, the new one stored
    REUSED = "reused"  # an already rotated (or revoked) token: the whole family is revoked
    EXPIRED = "expired"
    SESSION_ENDED = "session_ended"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RefreshRotation:
    status: RefreshStatus
    old: RefreshToken | None = None
    revoked: int = 0


@dataclass(frozen=True)
class LogoutDelivery:
    """One back-channel logout token sent (or being sent) to one portal for one ended session."""

    id: str
    session_id: str
    client_id: str
    uri: str
    jti: str
    reason: str
    status: str  # "pending" | "delivered" | "failed"
    attempts: int
    last_error: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class EndNotice:
    """Why the session a browser still holds a token for has ended; shown on the browser's next request."""

    session_id: str
    user_id: str
    reason: str
    ended_at: float
