"""The injected clock: every time-dependent decision reads `now` from here, never from the OS directly."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Returns the current time as POSIX seconds."""

    def now(self) -> float: ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> float:
        return time.time()


class FrozenClock:
    """A clock that only moves when told to; for tests and benchmarks."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
