"""SQLiteStore: the embedded Store backend (stdlib sqlite3 in WAL mode, safe for several worker processes)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from idp_bridge.store.protocol.core import StoreError
from idp_bridge.store.records.core import (
    AccessToken,
    AuditEvent,
    AuthCode,
    AuthRequest,
    CodeTake,
    CodeTakeStatus,
    LoginFlow,
    Session,
    User,
)
from idp_bridge.store.sqlite.admin import SQLiteAdminMixin
from idp_bridge.store.sqlite.codec import INSERTS, decode, encode
from idp_bridge.store.sqlite.connection import SQLiteConnection
from idp_bridge.store.sqlite.mfa import SQLiteMFAMixin
from idp_bridge.store.sqlite.schema import ADMIN_PURGE, MFA_PURGE
from idp_bridge.store.sqlite.session_rules import RECORD_SESSION_CLIENT, SQLiteSessionRules
from idp_bridge.store.sqlite.thread import on_store_thread

CODE_REPLAY_GRACE = 600.0
"""Seconds a code record outlives its expiry, so a late replay is still recognised (and its tokens
revoked)."""

# A session is live while not ended, before its absolute expiry and its idle deadline (records.Session).
_LIVE = "ended_at IS NULL AND expires_at > :now AND last_seen_at + idle_timeout > :now"
_DELETE_AUTH_REQUEST = "DELETE FROM auth_requests WHERE id = ?"


@on_store_thread
class SQLiteStore(SQLiteConnection, SQLiteSessionRules, SQLiteMFAMixin, SQLiteAdminMixin):
    """The Store protocol on one SQLite file (or ":memory:"), one connection per store (per process).

    Every read-modify-write is either one statement (`UPDATE/DELETE ... RETURNING`, `INSERT ... ON
    CONFLICT`) or a `BEGIN IMMEDIATE` transaction, so it is atomic across the processes sharing the file. Every
    call runs on the store's own thread (store.sqlite.thread): a lock wait never stops the event loop.
    """

    # -- portal authorization requests -------------------------------------------------------------
    async def put_auth_request(self, request: AuthRequest) -> None:
        self._insert(request)

    async def get_auth_request(self, request_id: str, now: float) -> AuthRequest | None:
        row = self._fetchone("SELECT * FROM auth_requests WHERE id = ? AND expires_at > ?", (request_id, now))
        return None if row is None else decode(AuthRequest, row)

    async def delete_auth_request(self, request_id: str) -> None:
        self._write(_DELETE_AUTH_REQUEST, (request_id,))

    # -- upstream login flows ----------------------------------------------------------------------
    async def put_login_flow(self, flow: LoginFlow, *, request: AuthRequest | None = None) -> None:
        if request is None:
            self._insert(flow)
            return
        with self._transaction() as conn:
            conn.execute(INSERTS[AuthRequest], encode(request))
            conn.execute(INSERTS[LoginFlow], encode(flow))

    async def take_login_flow(self, state: str, now: float) -> LoginFlow | None:
        # An expired flow is deleted too: it is useless either way.
        row = self._fetchone("DELETE FROM login_flows WHERE state = ? RETURNING *", (state,))
        if row is None:
            return None
        flow = decode(LoginFlow, row)
        return flow if now < flow.expires_at else None

    async def get_login_flow(self, state: str, now: float) -> LoginFlow | None:
        row = self._fetchone("SELECT * FROM login_flows WHERE state = ? AND expires_at > ?", (state, now))
        return decode(LoginFlow, row) if row is not None else None

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
        row = self._fetchone(
            """INSERT INTO users
            (id, issuer, subject, provider_id, email, name, created_at, last_login_at, disabled)
            VALUES (:id, :issuer, :subject, :provider_id, :email, :name, :now, :now, 0)
            ON CONFLICT (issuer, subject) DO UPDATE
            SET email = excluded.email, name = excluded.name, last_login_at = excluded.last_login_at
            RETURNING *""",
            {
                "id": secrets.token_urlsafe(16),
                "issuer": issuer,
                "subject": subject,
                "provider_id": provider_id,
                "email": email,
                "name": name,
                "now": now,
            },
        )
        if row is None:  # pragma: no cover - an upsert with RETURNING always yields its row
            raise StoreError(f"sqlite store {self._path!r}: upsert of a user returned nothing")
        return decode(User, row)

    async def get_user(self, user_id: str) -> User | None:
        row = self._fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else decode(User, row)

    # -- sessions ----------------------------------------------------------------------------------
    async def create_session(self, session: Session) -> None:
        self._insert(session)

    async def get_session_by_token(self, token_hash: str, now: float) -> Session | None:
        row = self._fetchone(
            f"SELECT * FROM sessions WHERE token_hash = :token_hash AND {_LIVE}",  # noqa: S608 - constant
            {"token_hash": token_hash, "now": now},
        )
        return None if row is None else decode(Session, row)

    async def get_session(self, session_id: str, now: float) -> Session | None:
        row = self._fetchone(
            f"SELECT * FROM sessions WHERE id = :id AND {_LIVE}",  # noqa: S608 - constant
            {"id": session_id, "now": now},
        )
        return None if row is None else decode(Session, row)

    async def touch_session(self, session_id: str, now: float) -> None:
        # Only a live session moves: neither an ended nor an expired or idled-out one comes back to life.
        self._write(
            f"UPDATE sessions SET last_seen_at = max(last_seen_at, :now) WHERE id = :id AND {_LIVE}",  # noqa: S608
            {"id": session_id, "now": now},
        )

    async def end_session(self, session_id: str, now: float, reason: str) -> bool:
        changed = self._write(
            f"UPDATE sessions SET ended_at = :now, end_reason = :reason WHERE id = :id AND {_LIVE}",  # noqa: S608
            {"id": session_id, "now": now, "reason": reason},
        )
        return changed == 1

    async def list_user_sessions(self, user_id: str, now: float) -> Sequence[Session]:
        rows = self._fetchall(
            f"SELECT * FROM sessions WHERE user_id = :user_id AND {_LIVE} ORDER BY created_at, id",  # noqa: S608
            {"user_id": user_id, "now": now},
        )
        return [decode(Session, row) for row in rows]

    # -- authorization codes -----------------------------------------------------------------------
    async def put_code(self, code: AuthCode, *, consumes_request: str | None = None) -> None:
        if consumes_request is None:
            self._insert(code)
            return
        with self._transaction() as conn:
            conn.execute(INSERTS[AuthCode], encode(code))
            conn.execute(_DELETE_AUTH_REQUEST, (consumes_request,))

    async def take_code(self, code_hash: str, now: float) -> CodeTake:
        # The redemption is one guarded UPDATE (atomic on its own): only the first redeemer within the lifetime
        # changes the row. When it changes nothing, the row says why; a code that missed the guard for being
        # expired can no longer be redeemed by anyone, and one redeemed meanwhile reads as replayed.
        taken = self._fetchone(
            "UPDATE codes SET redeemed_at = :now WHERE code_hash = :h AND redeemed_at IS NULL AND expires_at > :now "
            "RETURNING *",
            {"now": now, "h": code_hash},
        )
        if taken is not None:
            return CodeTake(CodeTakeStatus.OK, decode(AuthCode, taken))
        row = self._fetchone("SELECT * FROM codes WHERE code_hash = ?", (code_hash,))
        if row is None:
            return CodeTake(CodeTakeStatus.UNKNOWN)
        if row["redeemed_at"] is not None:
            return CodeTake(CodeTakeStatus.REPLAYED, decode(AuthCode, row))
        return CodeTake(CodeTakeStatus.EXPIRED)

    # -- access tokens -----------------------------------------------------------------------------
    async def put_access_token(self, token: AccessToken, *, record_client: bool = False) -> None:
        if not record_client:
            self._insert(token)
            return
        with self._transaction() as conn:
            conn.execute(INSERTS[AccessToken], encode(token))
            conn.execute(RECORD_SESSION_CLIENT, (token.session_id, token.client_id, token.created_at))

    async def get_access_token(self, token_hash: str, now: float) -> AccessToken | None:
        row = self._fetchone(
            "SELECT * FROM access_tokens WHERE token_hash = ? AND expires_at > ? AND revoked = 0",
            (token_hash, now),
        )
        return None if row is None else decode(AccessToken, row)

    async def revoke_tokens_for_code(self, code_hash: str) -> int:
        # One transaction: a refresh racing the revocation either sees its family revoked or is revoked with it.
        with self._transaction() as conn:
            access = conn.execute(
                "UPDATE access_tokens SET revoked = 1 WHERE code_hash = ? AND revoked = 0", (code_hash,)
            ).rowcount
            refresh = conn.execute(
                "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ? AND revoked = 0", (code_hash,)
            ).rowcount
        return access + refresh

    # -- audit -------------------------------------------------------------------------------------
    async def append_audit(self, event: AuditEvent) -> None:
        self._insert(event)

    async def append_audit_many(self, events: Sequence[AuditEvent]) -> None:
        if len(events) <= 1:  # one event: one autocommitted insert costs less than BEGIN ... COMMIT around it
            for event in events:
                self._insert(event)
            return
        with self._transaction() as conn:
            conn.executemany(INSERTS[AuditEvent], [encode(event) for event in events])

    async def list_audit(
        self,
        *,
        user_id: str | None = None,
        type: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
    ) -> Sequence[AuditEvent]:
        """Matching events, newest first; `since` is inclusive, `until` exclusive."""
        if limit <= 0:
            return []
        clauses = ["1 = 1"]
        params: dict[str, Any] = {"limit": limit}
        for value, clause, key in (
            (user_id, "user_id = :user_id", "user_id"),
            (type, "type = :type", "type"),
            (since, "at >= :since", "since"),
            (until, "at < :until", "until"),
        ):
            if value is not None:
                clauses.append(clause)
                params[key] = value
        rows = self._fetchall(
            # Only the constant clauses above are interpolated; values are bound parameters.
            f"SELECT * FROM audit_events WHERE {' AND '.join(clauses)} "  # noqa: S608
            "ORDER BY at DESC, rowid DESC LIMIT :limit",
            params,
        )
        return [decode(AuditEvent, row) for row in rows]

    # -- housekeeping ------------------------------------------------------------------------------
    async def purge_expired(self, now: float) -> int:
        """Delete expired requests, flows and tokens, codes past expiry plus CODE_REPLAY_GRACE, and sessions
        that are no longer live. Users and audit events are never purged."""
        params = {"now": now, "code_cutoff": now - CODE_REPLAY_GRACE}
        with self._transaction() as conn:
            return sum(
                conn.execute(sql, params).rowcount
                for sql in (
                    "DELETE FROM auth_requests WHERE expires_at <= :now",
                    "DELETE FROM login_flows WHERE expires_at <= :now",
                    "DELETE FROM codes WHERE expires_at <= :code_cutoff",
                    "DELETE FROM access_tokens WHERE expires_at <= :now",
                    f"DELETE FROM sessions WHERE NOT ({_LIVE})",  # noqa: S608 - constant
                    *MFA_PURGE,
                    *ADMIN_PURGE,
                )
            )
