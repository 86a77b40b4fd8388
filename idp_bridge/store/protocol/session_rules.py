"""The session-rules part of the Store protocol: eviction, forced and timed-out ends, refresh tokens, logouts.

Rules on top of base.py's: every `end_*` method ends a session at most once (of N concurrent callers exactly one
gets it back), revokes the session's access and refresh tokens in the same step, and leaves an end notice keyed on
the session's token hash (kept a day) so the browser can be told why. Ended sessions are returned with
`ended_at` and `end_reason` set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from idp_bridge.store.records.core import Session
from idp_bridge.store.records.session_rules import (
    EndNotice,
    LogoutDelivery,
    RefreshRotation,
    RefreshToken,
    SessionIdentity,
    UserSessionSettings,
)


class SessionRulesStore(Protocol):
    # -- creating and ending sessions --------------------------------------------------------------
    async def create_session_evicting(
        self, session: Session, limit: int, now: float, identity: SessionIdentity | None = None
    ) -> Sequence[Session]:
        """In one atomic step: insert `session` and end (reason "evicted") the user's oldest live sessions beyond
        `limit` live ones in all (the new one included); `identity` (when given) is stored as by
        `put_session_identity`. Returns the evicted sessions, oldest first."""

    async def end_session_returning(self, session_id: str, now: float, reason: str) -> Session | None:
        """End a live session; the ended record, or None when unknown or no longer live."""

    async def step_up_session(
        self, session_id: str, token_hash: str, amr: tuple[str, ...], acr: str | None, auth_time: int, now: float
    ) -> Session | None:
        """A live session passed a fresh second factor: in one step, its token is replaced (the browser's old one
        stops working) and its `amr`, `acr` and `auth_time` become the new ones; its id (the `sid` portals hold)
        and everything bound to it stay. The updated record, or None when unknown or no longer live."""

    async def end_user_sessions(self, user_id: str, now: float, reason: str) -> Sequence[Session]:
        """End every live session of a user."""

    async def end_sessions_by_provider(
        self, keep_providers: Sequence[str], now: float, reason: str
    ) -> Sequence[Session]:
        """End every live session signed in through a provider NOT in `keep_providers`."""

    async def end_expired_session(self, session_id: str, now: float) -> Session | None:
        """Mark one session that ran out (idle or absolute, not yet ended) as ended with that reason."""

    async def end_expired_session_by_token(self, token_hash: str, now: float) -> Session | None:
        """As `end_expired_session`, found by the browser's token hash."""

    async def end_expired_sessions(self, now: float, limit: int = 500) -> Sequence[Session]:
        """Mark up to `limit` sessions that ran out as ended ("idle" or "absolute", whichever passed first)."""

    async def find_end_notice(self, token_hash: str, now: float) -> EndNotice | None:
        """Why the session with this token hash ended (while the notice is kept), or None."""

    # -- portals that received tokens in a session -------------------------------------------------
    async def record_session_client(self, session_id: str, client_id: str, now: float) -> None: ...

    async def list_session_clients(self, session_id: str) -> Sequence[str]:
        """Client ids that received tokens in this session, in the order they first did."""

    async def put_session_groups(self, session_id: str, groups: Sequence[str]) -> None:
        """The upstream groups the technician had at this session's login (for forward-auth headers). Groups
        only, as sessions were recorded before they kept their identity facts: afterwards get_session_identity is
        None. Logins use put_session_identity."""

    async def get_session_groups(self, session_id: str) -> Sequence[str]:
        """The groups of either put: put_session_identity's facts or put_session_groups' bare list; () if none."""

    async def put_session_identity(self, session_id: str, identity: SessionIdentity) -> None:
        """Insert or replace the identity facts of this session's login (its groups included)."""

    async def get_session_identity(self, session_id: str) -> SessionIdentity | None:
        """The facts put_session_identity stored; None when there are none (nothing stored, or only the groups
        of a session recorded before sessions kept their identity facts)."""

    async def get_session_identities(self, session_ids: Sequence[str]) -> Mapping[str, SessionIdentity]:
        """get_session_identity for many sessions in one read: session id -> facts, sessions without any left out."""

    # -- refresh tokens ----------------------------------------------------------------------------
    async def put_refresh_token(self, token: RefreshToken) -> None: ...

    async def rotate_refresh_token(self, token_hash: str, new_token_hash: str, now: float) -> RefreshRotation:
        """Atomically spend a refresh token and store its successor (same family, session, client, scope and
        expiry) under `new_token_hash`. Of N concurrent callers exactly one gets OK; presenting a spent or
        revoked token revokes the whole family (REUSED). A token whose session is no longer live: SESSION_ENDED."""

    async def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        """The record in any state (for audits and tests)."""

    # -- back-channel logout deliveries ------------------------------------------------------------
    async def save_logout_delivery(self, delivery: LogoutDelivery) -> None:
        """Insert or replace (by id) the delivery record."""

    async def list_logout_deliveries(self, session_id: str) -> Sequence[LogoutDelivery]: ...

    # -- per-technician settings -------------------------------------------------------------------
    async def get_user_session_settings(self, user_id: str) -> UserSessionSettings | None: ...

    async def put_user_session_settings(self, settings: UserSessionSettings) -> None:
        """Insert or replace the technician's settings."""

    async def set_user_disabled(self, user_id: str, disabled: bool) -> bool:
        """Disable or re-enable a user; True if the user exists."""

    # -- housekeeping ------------------------------------------------------------------------------
    async def purge_session_records(self, now: float) -> int:
        """Delete end notices, refresh tokens and delivery records past their useful life."""
