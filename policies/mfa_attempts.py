"""Throttling second-factor guesses: growing delays after a few consecutive failures, then a disabled authenticator.

NIST SP 800-63B §3.2.2: at most 100 consecutive failures per authenticator before it is disabled; delays between
attempts are an allowed extra. Failures are counted per authenticator by the caller's store.
"""

from __future__ import annotations

from dataclasses import dataclass

NIST_MAX_FAILURES = 100


@dataclass(frozen=True)
class AttemptRules:
    max_failures: int = 10
    delay_after: int = 3
    base_delay_seconds: int = 5
    max_delay_seconds: int = 300

    def __post_init__(self) -> None:
        if not 1 <= self.max_failures <= NIST_MAX_FAILURES:
            raise ValueError(f"max_failures must be between 1 and {NIST_MAX_FAILURES}")


def delay_for(rules: AttemptRules, failures: int) -> int:
    """Seconds to wait after the last of `failures` consecutive failures: 0 below `delay_after`, then doubling."""
    if failures < rules.delay_after or rules.base_delay_seconds == 0:
        return 0
    return int(min(rules.base_delay_seconds * 2 ** min(failures - rules.delay_after, 30), rules.max_delay_seconds))


def wait_seconds(rules: AttemptRules, failures: int, last_failure_at: float | None, now: float) -> int:
    """Whole seconds until the next attempt may be checked (0: now)."""
    if last_failure_at is None:
        return 0
    remaining = last_failure_at + delay_for(rules, failures) - now
    return max(0, int(-(-remaining // 1)))


def is_locked(rules: AttemptRules, failures: int) -> bool:
    return failures >= rules.max_failures
