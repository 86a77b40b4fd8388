"""The SQLite backend's own thread: every store call runs there, so a statement waiting for another process's write
lock or a slow disk never stops the event loop (sqlite3 is synchronous; the loop keeps serving other requests).

The store's methods are `async def` bodies that never await: `on_store_thread` runs each body to completion on
the thread with `run_body`, one call after another, so the connection only ever sees the thread that opened it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
C = TypeVar("C", bound=type)

LIFECYCLE = frozenset({"open", "close"})
"""Methods that start and stop the thread themselves."""


class StoreThread:
    """One worker thread per store: calls run in the order they were made, never two at once."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._executor: ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)

    def stop(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    async def run(self, call: Callable[[], T]) -> T:
        """`call()` on the store's thread; before `start` (a store not open) it runs here and fails as such."""
        if self._executor is None:
            return call()
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)


def run_body(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine whose body never awaits, run to completion on the calling thread."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a SQLite store method awaited something: its body must not await (it runs on the store thread)")


def on_store_thread(cls: C) -> C:
    """Run every public coroutine method of `cls` (and of its mixins), except open and close, on `self._thread`."""
    for name in dir(cls):
        method = getattr(cls, name)
        if name.startswith("_") or name in LIFECYCLE or not inspect.iscoroutinefunction(method):
            continue
        setattr(cls, name, _threaded(method))
    return cls


def _threaded(method: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Coroutine[Any, Any, Any]]:
    @functools.wraps(method)
    async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        thread: StoreThread = self._thread
        return await thread.run(lambda: run_body(method(self, *args, **kwargs)))

    return call
