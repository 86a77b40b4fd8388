"""The backends the Store conformance suites run against: the BACKENDS table, and a `store` fixture per entry.

Adding a backend (PostgreSQL next) is one entry in BACKENDS: its name, and a factory that takes a scratch directory
and returns an async context manager yielding a FRESH, opened store (no records of an earlier test) and closing it
afterwards. Every conformance test then runs against it as well, its name in the test id (`test_code_unknown[name]`).
The backend is done when it passes the suites unchanged: a rule a backend cannot keep is a bug in the backend, not a
reason to edit or skip the test. A backend whose server is not running fails (never skips): the test set-up
starts every server the table needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from idp_bridge.store.protocol.core import Store
from idp_bridge.store.sqlite.core import SQLiteStore

Backend = Callable[[Path], AbstractAsyncContextManager[Store]]


@asynccontextmanager
async def opened(store: Store) -> AsyncIterator[Store]:
    """`store` opened for the length of the block, closed after it even when the test failed."""
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def sqlite_file(scratch: Path) -> AbstractAsyncContextManager[Store]:
    """SQLite on a file, as the bridge runs it (WAL, a connection of its own)."""
    return opened(SQLiteStore(str(scratch / "store.db")))


def sqlite_memory(scratch: Path) -> AbstractAsyncContextManager[Store]:
    """SQLite in memory: every new connection starts empty, so no scratch file is needed."""
    return opened(SQLiteStore(":memory:"))


BACKENDS: dict[str, Backend] = {
    "sqlite-file": sqlite_file,
    "sqlite-memory": sqlite_memory,
}


@pytest.fixture(params=list(BACKENDS), ids=list(BACKENDS))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh, opened store of each backend in BACKENDS in turn, closed after the test."""
    async with BACKENDS[request.param](tmp_path) as fresh:
        yield fresh
