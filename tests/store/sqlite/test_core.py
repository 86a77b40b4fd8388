"""SQLiteStore: what only SQLite has (files, schema versions, reopening, several processes on one file).

The conformance suites run on SQLite too, on a file and in memory: see tests/store/conformance/conftest.py. The
tests here build their stores themselves, since each needs a particular file, schema or connection state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from idp_bridge.store.protocol.core import DuplicateKey, StoreError
from idp_bridge.store.records.core import CodeTakeStatus, secret_hash
from idp_bridge.store.records.mfa import PendingLogin
from idp_bridge.store.records.session_rules import SessionIdentity
from idp_bridge.store.sqlite.core import SQLiteStore
from idp_bridge.store.sqlite.schema import SCHEMA_VERSION
from tests.store.conformance.samples import AUTH_REQUEST, CODE, T0, session

PROCESSES = 4
RACE_KEYS = 25


# -- SQLite specifics ----------------------------------------------------------------------------------


async def test_file_is_wal_with_schema_version(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    store = SQLiteStore(path)
    await store.open()
    conn = store._conn  # white-box: the per-connection pragmas
    assert conn is not None
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    await store.close()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert check.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    check.close()


async def test_data_survives_reopen_and_is_shared_between_stores(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    first, second = SQLiteStore(path), SQLiteStore(path)
    await first.open()
    await second.open()  # schema creation is idempotent across connections
    await first.put_code(CODE)
    assert (await second.take_code(CODE.code_hash, T0)).status == CodeTakeStatus.OK
    assert (await first.take_code(CODE.code_hash, T0)).status == CodeTakeStatus.REPLAYED
    await first.put_auth_request(AUTH_REQUEST)
    await first.close()
    await second.close()
    reopened = SQLiteStore(path)
    await reopened.open()
    assert await reopened.get_auth_request(AUTH_REQUEST.id, T0) == AUTH_REQUEST
    await reopened.close()
    await reopened.close()  # closing twice is harmless


async def test_a_file_from_before_sessions_kept_identity_facts_opens_and_works(tmp_path: Path) -> None:
    """An older file: pending_logins without the `identity` column, and session_groups rows that are bare lists of
    groups. Opening it adds the column (twice is harmless); the old rows keep their groups but no facts."""
    path = str(tmp_path / "store.db")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE pending_logins (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, auth_request_id TEXT "
            "NOT NULL, provider_id TEXT NOT NULL, csrf_token TEXT NOT NULL, upstream_amr TEXT NOT NULL, "
            "upstream_auth_time INTEGER NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL, "
            "step_up_session_id TEXT, challenge_id TEXT, factor_amr TEXT NOT NULL, factor_at REAL, factor_method TEXT)"
        )
        conn.execute("CREATE TABLE session_groups (session_id TEXT PRIMARY KEY, groups TEXT NOT NULL)")
        conn.execute("INSERT INTO session_groups VALUES ('sid-old', '[\"ops\", \"tier 2\"]')")
    conn.close()
    for _ in range(2):
        store = SQLiteStore(path)
        await store.open()
        await store.close()
    store = SQLiteStore(path)
    await store.open()
    facts = SessionIdentity(groups=("office",), tenant="tid-1")
    pending = PendingLogin(token_hash="h", user_id="u-1", auth_request_id="ar", provider_id="acme", csrf_token="c",
                           upstream_amr=("pwd",), upstream_auth_time=int(T0), created_at=T0, expires_at=T0 + 60,
                           identity=facts)  # fmt: skip
    await store.put_pending_login(pending)
    assert await store.take_pending_login("h", T0) == pending
    assert tuple(await store.get_session_groups("sid-old")) == ("ops", "tier 2")
    assert await store.get_session_identity("sid-old") is None
    await store.close()


async def test_live_sessions_of_a_user_are_found_without_reading_ended_ones(tmp_path: Path) -> None:
    """The concurrency rule runs at every login: its lookup uses the index of not-yet-ended sessions, also in a
    store created before that index replaced the full per-user one."""
    path = str(tmp_path / "store.db")
    store = SQLiteStore(path)
    await store.open()
    await store.close()
    with sqlite3.connect(path) as conn:  # a store as the earlier schema left it
        conn.execute("DROP INDEX sessions_open_user")
        conn.execute("CREATE INDEX sessions_user ON sessions (user_id, created_at)")
    conn.close()
    store = SQLiteStore(path)
    await store.open()
    for n in range(1, 6):  # four ended by the limit of one, one live
        await store.create_session_evicting(session(n, created_at=T0 + n), 1, T0 + n)
    assert [s.id for s in await store.list_user_sessions("u-1", T0 + 6)] == ["sid-5"]
    conn = store._conn  # white-box: the plan and the indexes
    assert conn is not None
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'sessions'")}
    assert "sessions_open_user" in indexes and "sessions_user" not in indexes
    live_by_user = "SELECT id FROM sessions WHERE user_id = :u AND ended_at IS NULL AND expires_at > :now"
    plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + live_by_user, {"u": "u-1", "now": T0}))
    assert "USING INDEX sessions_open_user" in plan
    indexed = conn.execute("SELECT count(*) FROM sessions INDEXED BY sessions_open_user WHERE user_id = 'u-1' "
                           "AND ended_at IS NULL").fetchone()[0]  # fmt: skip
    assert indexed == 1  # the ended four are not in it
    await store.close()


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    store = SQLiteStore(path)
    await store.open()
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(StoreError, match="schema version"):
        await SQLiteStore(path).open()


async def test_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not an sqlite database, not at all" * 100)
    with pytest.raises(StoreError):
        await SQLiteStore(str(path)).open()


async def test_use_before_open_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="not open"):
        await SQLiteStore(":memory:").get_user("u-1")


async def test_duplicate_is_a_store_error_and_other_errors_are_wrapped() -> None:
    store = SQLiteStore(":memory:")
    await store.open()
    await store.put_code(CODE)
    with pytest.raises(DuplicateKey):
        await store.put_code(CODE)
    store._conn.execute("DROP TABLE codes")  # type: ignore[union-attr]  # white-box: a broken database
    with pytest.raises(StoreError) as caught:
        await store.take_code(CODE.code_hash, T0)
    assert not isinstance(caught.value, DuplicateKey)
    await store.close()


async def test_failed_transaction_rolls_back_and_store_stays_usable() -> None:
    store = SQLiteStore(":memory:")
    await store.open()
    store._conn.execute("DROP TABLE sessions")  # type: ignore[union-attr]  # purge fails midway
    await store.put_auth_request(dataclasses.replace(AUTH_REQUEST, expires_at=T0))
    with pytest.raises(StoreError):
        await store.purge_expired(T0 + 1)
    assert store._conn is not None and not store._conn.in_transaction
    await store.put_code(CODE)  # the connection still works, and the purge's deletes were undone
    assert (await store.take_code(CODE.code_hash, T0)).status == CodeTakeStatus.OK
    assert store._conn.execute("SELECT count(*) FROM auth_requests").fetchone()[0] == 1
    await store.close()


# -- several worker processes on one file ----------------------------------------------------------------


def _worker(path: str, op: str, keys: list[str], barrier: Any, results: Any) -> None:
    """One worker process: wait for the others, then run `op` on every key; report one string per key."""

    async def run() -> list[str]:
        store = SQLiteStore(path)
        await store.open()
        try:
            barrier.wait()
            out: list[str] = []
            for key in keys:
                if op == "take_code":
                    out.append((await store.take_code(key, T0 + 1)).status.value)
                elif op == "accept_totp":
                    out.append(str(await store.accept_totp_timecode(key, "enc", 101)))
                else:
                    user = await store.upsert_user(
                        issuer="https://idp.test", subject=key, provider_id="entra", email=None, name=None, now=T0
                    )
                    out.append(user.id)
            return out
        finally:
            await store.close()

    try:
        results.put(asyncio.run(run()))
    except BaseException as exc:
        results.put(repr(exc))
        raise


def _race_processes(path: str, op: str, keys: list[str]) -> list[list[str]]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(path, op, keys, barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    try:
        outputs = [results.get(timeout=60) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
    for out in outputs:
        assert isinstance(out, list), f"worker failed: {out}"
    assert all(p.exitcode == 0 for p in procs)
    return outputs


async def test_processes_racing_take_code_get_one_ok_each(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    store = SQLiteStore(path)
    await store.open()
    codes = [dataclasses.replace(CODE, code_hash=secret_hash(f"code-{i}")) for i in range(RACE_KEYS)]
    for code in codes:
        await store.put_code(code)
    await store.close()

    outputs = _race_processes(path, "take_code", [c.code_hash for c in codes])

    for i in range(RACE_KEYS):
        statuses = sorted(out[i] for out in outputs)
        assert statuses == ["ok"] + ["replayed"] * (PROCESSES - 1), f"code {i}: {statuses}"


async def test_processes_racing_first_login_create_one_user_each(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    subjects = [f"subject-{i}" for i in range(RACE_KEYS)]

    outputs = _race_processes(path, "upsert_user", subjects)  # the workers also race creating the schema

    for i in range(RACE_KEYS):
        assert len({out[i] for out in outputs}) == 1, f"subject {i} got several users"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == RACE_KEYS
    conn.close()


async def test_processes_racing_one_totp_time_step_accept_it_once(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    store = SQLiteStore(path)
    await store.open()
    users = [f"user-{i}" for i in range(RACE_KEYS)]
    for user in users:
        await store.begin_totp_enrollment(user, "enc", T0)
        await store.confirm_totp_enrollment(user, "enc", 100, T0)
    await store.close()

    outputs = _race_processes(path, "accept_totp", users)

    for i in range(RACE_KEYS):
        assert sorted(out[i] for out in outputs) == ["False"] * (PROCESSES - 1) + ["True"], f"user {i}"


# -- session rules (issue 4): one account logging in from several processes ----------------------------


def _login_worker(path: str, worker: int, logins: int, limit: int, barrier: Any, results: Any) -> None:
    async def run() -> int:
        store = SQLiteStore(path)
        await store.open()
        try:
            barrier.wait()
            evicted = 0
            for i in range(logins):
                new = session(1000 * worker + i, user_id="racer", created_at=T0 + i)
                evicted += len(await store.create_session_evicting(new, limit, T0 + logins))
            return evicted
        finally:
            await store.close()

    results.put(asyncio.run(run()))


@pytest.mark.parametrize("limit", [1, 2])
async def test_processes_racing_logins_of_one_account_leave_the_limit(tmp_path: Path, limit: int) -> None:
    path = str(tmp_path / "shared.db")
    store = SQLiteStore(path)
    await store.open()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    logins = 5  # 4 processes x 5 = 20 parallel logins
    args = [(path, w, logins, limit, barrier, results) for w in range(PROCESSES)]
    procs = [ctx.Process(target=_login_worker, args=a) for a in args]
    for p in procs:
        p.start()
    evicted = sum(results.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert len(await store.list_user_sessions("racer", T0 + logins)) == limit
    assert evicted == PROCESSES * logins - limit
    await store.close()


async def test_store_file_and_its_wal_and_shm_are_created_owner_only(tmp_path: Path) -> None:
    """Sessions, code hashes and MFA secrets live in the file: no other local user may read it, whatever the umask."""
    path = tmp_path / "store.db"
    previous = os.umask(0o022)  # the common default, which gives 0644 to a file created as 0666
    try:
        store = SQLiteStore(str(path))
        await store.open()
        await store.put_auth_request(AUTH_REQUEST)  # a write, so the WAL and its index exist
    finally:
        os.umask(previous)
    try:
        created = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
        assert created == {"store.db": 0o600, "store.db-wal": 0o600, "store.db-shm": 0o600}
    finally:
        await store.close()
