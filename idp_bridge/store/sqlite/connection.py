"""SQLiteConnection: the SQLite backend's one connection (per store, per process), opened on the store's thread,
with the helpers every part of the backend uses: statements, BEGIN IMMEDIATE transactions, sqlite3 errors as store
errors, and the schema check at open."""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from idp_bridge.store.protocol.core import DuplicateKey, StoreError, StoreUnavailable
from idp_bridge.store.sqlite.codec import INSERTS, encode
from idp_bridge.store.sqlite.schema import DDL, MFA_ADDED_COLUMNS, SCHEMA_VERSION
from idp_bridge.store.sqlite.thread import StoreThread

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

BUSY_TIMEOUT_MS = 2000
"""How long a statement waits for another process's write lock before the store is unavailable (503). The wait
blocks this worker's event loop, so it is kept short ([store] busy_timeout_ms)."""

_DUPLICATE_ERRORS = frozenset({sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE})
# Primary result codes after which a later try may work: another process holds the lock, the file or disk refuses
# writes, the disk is full or failing, the file cannot be opened.
_UNAVAILABLE_ERRORS = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PERM,
    }
)

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
    """The store's error for a sqlite3 error: key collisions are DuplicateKey, a busy, locked, read-only, full or
    unopenable file StoreUnavailable, anything else StoreError."""
    if isinstance(exc, sqlite3.IntegrityError) and exc.sqlite_errorcode in _DUPLICATE_ERRORS:
        return DuplicateKey(f"sqlite store {path!r}: {exc}")
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _UNAVAILABLE_ERRORS:
        return StoreUnavailable(f"sqlite store {path!r}: {exc}")
    return StoreError(f"sqlite store {path!r}: {exc}")


class SQLiteConnection:
    """The connection and its plumbing; SQLiteStore adds the Store methods (its parts mixed in)."""

    def __init__(self, path: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._thread = StoreThread("idp-bridge-sqlite")
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
        """Start the store's thread, connect there (WAL, synchronous=NORMAL, busy timeout) and create or check the
        schema. Idempotent."""
        if self._conn is not None:
            return
        self._thread.start()
        try:
            await self._thread.run(self._connect)
        except BaseException:
            self._thread.stop()
            raise

    def _connect(self) -> None:
        with self._errors():
            _create_private(self._path)
            # Every call runs on the store's thread, one at a time; check_same_thread would only refuse the
            # connection to close() after a failed open and to white-box tests between calls.
            conn = sqlite3.connect(
                self._path, timeout=self._busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
            try:
                conn.row_factory = sqlite3.Row
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
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
            try:
                await self._thread.run(functools.partial(self._close, conn))
            finally:
                self._thread.stop()

    def _close(self, conn: sqlite3.Connection) -> None:
        with self._errors():
            conn.close()
