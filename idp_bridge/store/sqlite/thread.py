"""The SQLite backend's own thread: every store call runs there, so a statement waiting for another process's write
lock or a slow disk never stops the event loop (sqlite3 is synchronous; the loop keeps serving other requests).

The store's methods are `async def` bodies that never await: `on_store_thread` runs each body to completion on
the thread with `run_body`, one call after another, so the connection only ever sees the thread that opened it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import queue
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
C = TypeVar("C", bound=type)

LIFECYCLE = frozenset({"open", "close"})
"""Methods that start and stop the thread themselves."""


class StoreThread:
    """One worker thread per store: calls run in the order they were made, never two at once.

    A plain thread and a SimpleQueue rather than a ThreadPoolExecutor: the hand-off costs about 35 µs of CPU per
    call instead of about 55 (measured with uvloop), and a login makes some 25 store calls."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._queue: queue.SimpleQueue[_Job | None] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._queue = queue.SimpleQueue()
            # A daemon: a store nobody closed must not keep the process alive; SQLite's transactions stay atomic.
            self._thread = threading.Thread(target=_serve, args=(self._queue,), name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        thread, jobs = self._thread, self._queue
        self._thread = self._queue = None
        if thread is not None and jobs is not None:
            jobs.put(None)
            thread.join()

    async def run(self, call: Callable[[], T]) -> T:
        """`call()` on the store's thread; before `start` (a store not open) it runs here and fails as such."""
        if self._queue is None:
            return call()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(loop, done, call))
        return await done


@dataclass(frozen=True)
class _Job:
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[Any]
    call: Callable[[], Any]


def _serve(jobs: queue.SimpleQueue[_Job | None]) -> None:
    while (job := jobs.get()) is not None:
        try:
            outcome: tuple[bool, Any] = (True, job.call())
        except BaseException as exc:  # handed to the caller, whatever it is
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # the caller's loop closed meanwhile: nobody waits any more
            job.loop.call_soon_threadsafe(_settle, job.done, outcome)


def _settle(done: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if done.cancelled():
        return
    ok, value = outcome
    if ok:
        done.set_result(value)
    else:
        done.set_exception(value)


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
