"""SQLiteStore: the embedded Store backend (stdlib sqlite3 in WAL mode, safe for several worker processes)."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from idp_bridge.store.protocol.core import DuplicateKey, StoreError
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
from idp_bridge.store.sqlite.mfa import SQLiteMFAMixin
from idp_bridge.store.sqlite.schema import DDL, MFA_ADDED_COLUMNS, MFA_PURGE, SCHEMA_VERSION
from idp_bridge.store.sqlite.session_rules import RECORD_SESSION_CLIENT, SQLiteSessionRules

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


CODE_REPLAY_GRACE = 600.0
"""Seconds a code record outlives its expiry, so a late replay is still recognised (and its tokens
revoked)."""

BUSY_TIMEOUT_MS = 5000
"""How long a connection waits for another process's write lock before failing."""

_DUPLICATE_ERRORS = frozenset({sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE})

# A session is live while not ended, before its absolute expiry and its idle deadline (records.Session).
_LIVE = "ended_at IS NULL AND expires_at > :now AND last_seen_at + idle_timeout > :now"
_DELETE_AUTH_REQUEST = "DELETE FROM auth_requests WHERE id = ?"


def _create_private(path: str) -> None:
    """Create the store file owner-only (0600) before SQLite opens it; SQLite gives its -wal and -shm files
    the database file's mode. An existing file keeps the mode its operator chose."""
    if path in ("", ":memory:"):
        return
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"sqlite store {path!r}: cannot create the file ({exc.strerror})") from None


def _store_error(path: str, exc: sqlite3.Error) -> StoreError:
    """The store's error for a sqlite3 error: key collisions are DuplicateKey, anything else StoreError."""
    if isinstance(exc, sqlite3.IntegrityError) and exc.sqlite_errorcode in _DUPLICATE_ERRORS:
        return DuplicateKey(f"sqlite store {path!r}: {exc}")
    return StoreError(f"sqlite store {path!r}: {exc}")


class SQLiteStore(SQLiteSessionRules, SQLiteMFAMixin, SQLiteAdminMixin):
    """The Store protocol on one SQLite file (or ":memory:"), one connection per store (per process).

    Every read-modify-write is either one statement (`UPDATE/DELETE ... RETURNING`, `INSERT ... ON
    CONFLICT`) or a `BEGIN IMMEDIATE` transaction, so it is atomic across the processes sharing the file.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    @property
    def path(self) -> str:
        return self._path

    # -- plumbing ----------------------------------------------------------------------------------
    # Each helper translates sqlite3 errors itself (_store_error) rather than through a shared context manager:
    # a generator-based one costs a few microseconds on each of the ~30 statements of a login.
    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise _store_error(self._path, exc) from exc

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"sqlite store {self._path!r} is not open")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front: no other process writes until COMMIT."""
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _store_error(self._path, exc) from exc

    def _fetchall(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> list[sqlite3.Row]:
        # fetchall() also steps a RETURNING statement to completion, which releases its write lock.
        try:
            rows: list[sqlite3.Row] = self._connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _store_error(self._path, exc) from exc
        return rows

    def _fetchone(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> sqlite3.Row | None:
        rows = self._fetchall(sql, params)
        return rows[0] if rows else None

    def _write(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> int:
        """Run one statement (atomic on its own in autocommit mode); returns the number of rows changed."""
        try:
            return self._connection().execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise _store_error(self._path, exc) from exc

    def _insert(self, record: DataclassInstance) -> None:
        self._write(INSERTS[type(record)], encode(record))

    # -- lifecycle ---------------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect (WAL, synchronous=NORMAL, busy timeout) and create or check the schema. Idempotent."""
        if self._conn is not None:
            return
        with self._errors():
            _create_private(self._path)
            conn = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            try:
                conn.row_factory = sqlite3.Row
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA journal_mode = WAL").fetchall()
                conn.execute("PRAGMA synchronous = NORMAL")
                self._conn = conn
                self._create_schema()
            except BaseException:
                self._conn = None
                conn.close()
                raise

    def _create_schema(self) -> None:
        with self._transaction() as conn:
            for statement in DDL:
                conn.execute(statement)
            for table, column, declaration in MFA_ADDED_COLUMNS:
                if column not in {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
            if version is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            elif version > SCHEMA_VERSION:
                raise StoreError(
                    f"sqlite store {self._path!r}: schema version {version} is newer than this code "
                    f"supports ({SCHEMA_VERSION})"
                )

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with self._errors():
                conn.close()

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
        return self._write("UPDATE access_tokens SET revoked = 1 WHERE code_hash = ? AND revoked = 0", (code_hash,))

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
                )
            )
