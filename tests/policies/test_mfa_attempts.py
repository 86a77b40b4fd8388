"""Tests for policies/mfa_attempts.py: growing delays and the NIST bound on consecutive failures."""

from __future__ import annotations

import pytest

from policies.mfa_attempts import AttemptRules, delay_for, is_locked, wait_seconds

RULES = AttemptRules(max_failures=10, delay_after=3, base_delay_seconds=5, max_delay_seconds=60)


@pytest.mark.parametrize(
    ("failures", "delay"), [(0, 0), (1, 0), (2, 0), (3, 5), (4, 10), (5, 20), (6, 40), (7, 60), (9, 60), (500, 60)]
)
def test_delay_grows_then_caps(failures: int, delay: int) -> None:
    assert delay_for(RULES, failures) == delay


@pytest.mark.parametrize(
    ("failures", "last", "now", "wait"),
    [
        (0, None, 100.0, 0),
        (2, 100.0, 100.0, 0),
        (3, 100.0, 100.0, 5),
        (3, 100.0, 104.2, 1),  # rounded up: never early
        (3, 100.0, 105.0, 0),
        (4, 100.0, 101.0, 9),
    ],
)
def test_wait_seconds(failures: int, last: float | None, now: float, wait: int) -> None:
    assert wait_seconds(RULES, failures, last, now) == wait


def test_lock_after_max_failures() -> None:
    assert not is_locked(RULES, 9)
    assert is_locked(RULES, 10)


@pytest.mark.parametrize("bad", [0, 101])
def test_nist_bound(bad: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 100"):
        AttemptRules(max_failures=bad)


def test_no_delay_when_disabled() -> None:
    assert delay_for(AttemptRules(base_delay_seconds=0), 50) == 0
