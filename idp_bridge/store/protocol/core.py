"""The Store protocol: one contract every backend (SQLite, Redis, PostgreSQL) fulfils unchanged.

Rules every backend keeps (the suites in tests/store/conformance/ check them):
- reads take `now` and never return a record whose `expires_at <= now` (or an ended session);
- `take_*` methods are atomic: of N concurrent callers, exactly one gets the record;
- `put_*` of an existing key raises `DuplicateKey` rather than overwriting;
- nothing here logs a secret (keys are hashes already).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from idp_bridge.store.protocol.admin import AdminStore
from idp_bridge.store.protocol.mfa import MFAStore
from idp_bridge.store.protocol.session_rules import SessionRulesStore
from idp_bridge.store.records.core import (
    AccessToken,
    AuditEvent,
    AuthCode,
    AuthRequest,
    CodeTake,
    LoginFlow,
    Session,
    User,
)


class StoreError(Exception):
    """The store failed (unreachable, corrupt); never shown to users verbatim."""


class DuplicateKey(StoreError):
    """A put would have overwritten an existing record."""


RETRY_AFTER_SECONDS = 5
"""What a refusal because the store cannot serve tells clients to wait (Retry-After) before trying again."""


class StoreUnavailable(StoreError):
    """The store cannot serve now (busy or locked by another process, read-only, full, unreachable): the request
    fails closed with a 503 and may be retried; nothing was half-written."""


class Store(SessionRulesStore, MFAStore, AdminStore, Protocol):
    async def open(self) -> None:
        """Create the schema if needed and connect. Idempotent."""

    async def close(self) -> None: ...

    # -- portal authorization requests -------------------------------------------------------------
    async def put_auth_request(self, request: AuthRequest) -> None: ...

    async def get_auth_request(self, request_id: str, now: float) -> AuthRequest | None: ...

    async def delete_auth_request(self, request_id: str) -> None: ...

    # -- upstream login flows (single use) ---------------------------------------------------------
    async def put_login_flow(self, flow: LoginFlow, *, request: AuthRequest | None = None) -> None:
        """Store a new upstream login flow; with `request`, also the portal's authorization request it continues
        (as `put_auth_request`), in the same atomic step."""

    async def take_login_flow(self, state: str, now: float) -> LoginFlow | None:
        """Atomically remove and return the flow; None when unknown, already taken or expired."""

    async def get_login_flow(self, state: str, now: float) -> LoginFlow | None:
        """The flow without taking it (None when unknown, taken or expired): a callback checks its browser binding
        first, so that a callback URL opened in another browser cannot cancel the login in progress."""

    # -- users -------------------------------------------------------------------------------------
    async def upsert_user(
        self,
        *,
        issuer: str,
        subject: str,
        provider_id: str,
        email: str | None,
        name: str | None,
        now: float,
    ) -> User:
        """Find the user by (issuer, subject), creating it (new random id) if absent; refresh email, name and
        last_login_at. Atomic: concurrent first logins of one subject yield one user."""

    async def get_user(self, user_id: str) -> User | None: ...

    # -- sessions ----------------------------------------------------------------------------------
    async def create_session(self, session: Session) -> None: ...

    async def get_session_by_token(self, token_hash: str, now: float) -> Session | None:
        """The live session for this token hash, or None (unknown, ended, expired or idled out)."""

    async def get_session(self, session_id: str, now: float) -> Session | None:
        """The live session with this public id, or None."""

    async def touch_session(self, session_id: str, now: float) -> None:
        """Record activity (moves the idle deadline); no effect on an ended session."""

    async def end_session(self, session_id: str, now: float, reason: str) -> bool:
        """End a live session; True if this call ended it (False if unknown or already ended)."""

    async def list_user_sessions(self, user_id: str, now: float) -> Sequence[Session]:
        """Live sessions of a user, oldest first."""

    # -- authorization codes -----------------------------------------------------------------------
    async def put_code(self, code: AuthCode, *, consumes_request: str | None = None) -> None:
        """Store a new code. With `consumes_request`, the portal's authorization request it answers is deleted
        (as by `delete_auth_request`) in the same atomic step."""

    async def take_code(self, code_hash: str, now: float) -> CodeTake:
        """Atomically redeem a code. First redemption in time: OK with the code. Any later one: REPLAYED with the
        code (so the caller can revoke what was issued), as long as the record is kept (at least 10 minutes past
        its expiry). Past expiry and never redeemed: EXPIRED. Otherwise UNKNOWN."""

    # -- access tokens -----------------------------------------------------------------------------
    async def put_access_token(self, token: AccessToken, *, record_client: bool = False) -> None:
        """Store a new access token. With `record_client`, its portal is also recorded as holding tokens of its
        session (as `record_session_client` at the token's `created_at`) in the same atomic step."""

    async def get_access_token(self, token_hash: str, now: float) -> AccessToken | None:
        """The token if unexpired and not revoked."""

    async def revoke_tokens_for_code(self, code_hash: str) -> int:
        """Revoke the whole grant this code started, in one atomic step: every access token whose `code_hash` is
        this code's (those issued at the exchange and those minted by refreshes since) and every refresh token of
        the family whose `family_id` is this code's hash. Returns how many tokens were revoked."""

    # -- audit -------------------------------------------------------------------------------------
    async def append_audit(self, event: AuditEvent) -> None: ...

    async def append_audit_many(self, events: Sequence[AuditEvent]) -> None:
        """Append several events at once, in order, all or none (one request's events in one write)."""

    async def list_audit(
        self,
        *,
        user_id: str | None = None,
        type: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
    ) -> Sequence[AuditEvent]:
        """Matching events, newest first."""

    # -- housekeeping ------------------------------------------------------------------------------
    async def purge_expired(self, now: float) -> int:
        """Delete records past their useful life (never audit events); returns how many."""
