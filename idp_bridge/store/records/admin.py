"""The records of security-team administration: policy versions, API tokens, roles mapped from upstream groups.

(A technician's own idle timeout and session limit live in the session rules' user_session_settings, which
session creation enforces: store.records.session_rules.UserSessionSettings.)"""

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
class MappedRole:
    """The role the policy's role mappings gave a technician from upstream groups at the last login (None: no
    mapping matched), written by idp_bridge/roles/mapping.py and read through idp_bridge/roles/effective.py."""

    user_id: str
    mapped_role: str | None = None
    updated_at: float = 0.0


@dataclass(frozen=True)
class AuthFailures:
    """Failed client authentications at /token under one key (`client:<client_id>` or `ip:<address>`), counted
    until `forget_after` seconds pass without one (oidc/client_throttle.py)."""

    key: str
    failures: int = 0
    last_failure_at: float | None = None
