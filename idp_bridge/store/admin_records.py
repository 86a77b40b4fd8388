"""The records of security-team administration: policy versions, API tokens, per-technician session limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyVersion:
    """One saved version of the policy document (`document` is its canonical JSON text). Versions are never
    changed or deleted; a rollback saves the old document again as a new version."""

    version: int
    document: str
    author: str
    comment: str
    created_at: float
    diff: str
    rollback_of: int | None = None


@dataclass(frozen=True)
class APIToken:
    """An admin API token: the bearer secret is `ibt_<id>_<secret>`; only the SHA-256 of the whole token is kept."""

    id: str
    token_hash: str
    name: str
    scopes: tuple[str, ...]
    created_by: str
    created_at: float
    expires_at: float
    revoked_at: float | None = None
    last_used_at: float | None = None


@dataclass(frozen=True)
class TechnicianLimits:
    """Per-technician overrides of the session rules (None: the config's default) and the role mapped from
    upstream groups at the last login (None: no mapping matched)."""

    user_id: str
    idle_timeout_seconds: int | None = None
    session_limit: int | None = None
    mapped_role: str | None = None
    updated_at: float = 0.0
