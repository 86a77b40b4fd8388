"""The SQLite backend's own thread (idp_bridge/store/sqlite/thread.py): every Store method runs there, in order."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import threading
from pathlib import Path

import pytest

from idp_bridge.store.protocol.core import Store
from idp_bridge.store.sqlite.core import SQLiteStore
from idp_bridge.store.sqlite.thread import LIFECYCLE, StoreThread, on_store_thread, run_body
from tests.store.conformance.samples import AUTH_REQUEST, T0


def test_every_store_method_is_run_on_the_store_thread() -> None:
    protocol = {n for n, m in inspect.getmembers(Store) if inspect.iscoroutinefunction(m) and not n.startswith("_")}
    assert len(protocol) > 60
    for name in protocol - LIFECYCLE:
        method = getattr(SQLiteStore, name)
        assert method.__qualname__.endswith(name) and method.__code__.co_name == "call", name  # the wrapper


async def test_calls_run_on_one_thread_of_their_own_in_order(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "store.db"))
    await store.open()
    seen: list[str] = []
    original = SQLiteStore._fetchall

    def spy(self: SQLiteStore, *args: object) -> object:
        seen.append(threading.current_thread().name)
        return original(self, *args)  # type: ignore[arg-type]

    try:
        SQLiteStore._fetchall = spy  # type: ignore[method-assign]
        results = await asyncio.gather(*(store.get_auth_request(f"r-{i}", T0) for i in range(5)))
    finally:
        SQLiteStore._fetchall = original  # type: ignore[method-assign]
        await store.close()
    assert results == [None] * 5
    assert len(seen) == 5 and len(set(seen)) == 1 and seen[0].startswith("idp-bridge-sqlite")
    assert seen[0] != threading.current_thread().name


async def test_a_call_waiting_for_another_connections_lock_leaves_the_loop_free(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    store = SQLiteStore(path, busy_timeout_ms=5000)
    await store.open()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        waiting = asyncio.create_task(store.put_auth_request(AUTH_REQUEST))
        for _ in range(50):  # the loop goes round while the write waits for the lock on the store's thread
            await asyncio.sleep(0)
        assert not waiting.done()
        holder.execute("ROLLBACK")
        await waiting
        assert await store.get_auth_request(AUTH_REQUEST.id, T0) == AUTH_REQUEST
    finally:
        holder.close()
        await store.close()


def test_a_body_that_awaits_is_refused() -> None:
    async def awaits() -> None:
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="must not await"):
        run_body(awaits())


async def test_before_start_a_call_runs_here_and_after_stop_too() -> None:
    @on_store_thread
    class Probe:
        def __init__(self) -> None:
            self._thread = StoreThread("probe")

        async def where(self) -> str:
            return threading.current_thread().name

    probe = Probe()
    here = threading.current_thread().name
    assert await probe.where() == here
    probe._thread.start()
    assert (await probe.where()).startswith("probe")
    probe._thread.stop()
    assert await probe.where() == here
