"""Session rules: idle and absolute expiry, the concurrent-session limit and which sessions to evict (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from policies.roles import DEFAULT_ROLE


class Expiry(Enum):
    """Why a session is no longer live (or that it still is)."""

    LIVE = "live"
    IDLE = "idle"
    ABSOLUTE = "absolute"


@dataclass(frozen=True)
class RoleRules:
    """The defaults of one role: idle timeout, absolute lifetime and how many live sessions at once."""

    idle_timeout_seconds: int
    lifetime_seconds: int
    max_sessions: int


@dataclass(frozen=True)
class UserOverrides:
    """Per-technician settings; None means "the role's default". (The role itself is the technician record's,
    shared with the MFA requirement: one source.)"""

    idle_timeout_seconds: int | None = None
    lifetime_seconds: int | None = None
    max_sessions: int | None = None


@dataclass(frozen=True)
class EffectiveRules:
    """What applies to one technician's new session."""

    role: str
    idle_timeout_seconds: int
    lifetime_seconds: int
    max_sessions: int


@dataclass(frozen=True)
class SessionAge:
    """The times of one session that decide its expiry and eviction order."""

    id: str
    created_at: float
    last_seen_at: float
    idle_timeout: float
    expires_at: float


def effective_rules(roles: Mapping[str, RoleRules], role: str, overrides: UserOverrides | None) -> EffectiveRules:
    """The technician's role's defaults with their own settings on top. A role without rules falls back to
    DEFAULT_ROLE's."""
    overrides = overrides or UserOverrides()
    role = role if role in roles else DEFAULT_ROLE
    base = roles[role]
    return EffectiveRules(
        role=role,
        idle_timeout_seconds=overrides.idle_timeout_seconds or base.idle_timeout_seconds,
        # A per-user lifetime may shorten the role's, never lengthen it past what the role allows.
        lifetime_seconds=min(overrides.lifetime_seconds or base.lifetime_seconds, base.lifetime_seconds),
        max_sessions=overrides.max_sessions or base.max_sessions,
    )


def expiry(session: SessionAge, now: float) -> Expiry:
    """Whether the session is live at `now`; when both deadlines passed, the one that passed first wins."""
    idle_deadline = session.last_seen_at + session.idle_timeout
    if now < session.expires_at and now < idle_deadline:
        return Expiry.LIVE
    if now >= session.expires_at and (now < idle_deadline or session.expires_at <= idle_deadline):
        return Expiry.ABSOLUTE
    return Expiry.IDLE


def seconds_left(session: SessionAge, now: float) -> tuple[float, float]:
    """(seconds until the idle logout, seconds until the absolute end), never negative."""
    return (
        max(0.0, session.last_seen_at + session.idle_timeout - now),
        max(0.0, session.expires_at - now),
    )


def should_warn(session: SessionAge, now: float, warn_before_seconds: float) -> bool:
    """Whether a page should warn that the idle logout is near (and the idle logout comes before the end)."""
    idle_left, absolute_left = seconds_left(session, now)
    return 0 < idle_left <= warn_before_seconds and idle_left <= absolute_left


def sessions_to_evict(live: Sequence[SessionAge], limit: int) -> tuple[str, ...]:
    """Ids of the live sessions to end so that a NEW session fits within `limit`: the oldest first (by
    creation time, then id for a stable order). With limit 1 every existing session goes."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1 (got {limit})")
    excess = len(live) + 1 - limit
    if excess <= 0:
        return ()
    ordered = sorted(live, key=lambda s: (s.created_at, s.id))
    return tuple(s.id for s in ordered[:excess])


def needs_activity_write(stored_last_seen: float, now: float, write_interval: float) -> bool:
    """Whether activity at `now` must be written to the store: at most once per `write_interval`, so the
    store's idle deadline lags the true one by less than `write_interval` seconds."""
    return now - stored_last_seen >= write_interval
