"""The administration part of the Store protocol; `Store` inherits it, every backend implements it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from idp_bridge.store.records.admin import APIToken, AuthFailures, MappedRole, PolicyVersion
from idp_bridge.store.records.core import Session, User


class AdminStore(Protocol):
    # -- policy versions ---------------------------------------------------------------------------
    async def policy_version_number(self) -> int:
        """The current (highest) policy version, 0 when none was saved. Cheap: read per login at most once a
        second per worker (policy.source)."""

    async def get_policy_version(self, version: int | None = None) -> PolicyVersion | None:
        """One version, or the current one when `version` is None."""

    async def add_policy_version(self, version: PolicyVersion) -> bool:
        """Append `version` only if it is exactly one more than the current number (compare-and-set, so two
        concurrent saves cannot both win); False otherwise."""

    async def list_policy_versions(self, limit: int = 100) -> Sequence[PolicyVersion]:
        """Newest first."""

    # -- API tokens --------------------------------------------------------------------------------
    async def put_api_token(self, token: APIToken) -> None: ...

    async def get_api_token(self, token_id: str) -> APIToken | None:
        """By id, revoked or not (the caller checks expiry and revocation and compares the hash)."""

    async def list_api_tokens(self) -> Sequence[APIToken]:
        """Newest first."""

    async def revoke_api_token(self, token_id: str, now: float) -> bool:
        """True if this call revoked it."""

    async def touch_api_token(self, token_id: str, now: float) -> None: ...

    # -- technicians -------------------------------------------------------------------------------
    async def search_users(self, query: str | None, limit: int, offset: int = 0) -> Sequence[User]:
        """Users whose id, email or name contains `query` (case-insensitive; all when None), by email, users
        without one last."""

    # (disabling: SessionRulesStore.set_user_disabled; idle timeout and session limit: user_session_settings)
    async def get_mapped_role(self, user_id: str) -> MappedRole:
        """The technician's mapped role record (mapped_role None when none was recorded)."""

    async def save_mapped_role(self, mapped: MappedRole) -> None:
        """Insert or replace."""

    async def list_role_holders(self, role: str) -> Sequence[str]:
        """Ids of users holding `role` locally (mfa settings) or mapped from upstream groups, sorted."""

    # -- sessions ----------------------------------------------------------------------------------
    async def list_live_sessions(
        self, now: float, *, user_id: str | None = None, provider_id: str | None = None, limit: int = 500
    ) -> Sequence[Session]:
        """Live sessions, most recently active first."""

    # -- failed client authentications (the /token back-off, shared by every worker) ---------------
    async def get_auth_failures(self, keys: Sequence[str], now: float) -> Sequence[AuthFailures]:
        """One record per key, in order; a key without failures in the last `forget_after` seconds (as given when
        they were recorded) has `failures == 0`."""

    async def record_auth_failure(self, keys: Sequence[str], now: float, forget_after: float) -> Sequence[AuthFailures]:
        """Atomically count one failure under each key (a counter idle for `forget_after` restarts at 1); the
        new records, in order."""

    async def clear_auth_failures(self, keys: Sequence[str]) -> None:
        """Forget the failures under these keys (a successful authentication)."""
