"""Tests for policies/session_rules.py: expiry, effective rules per role/technician, eviction order."""

from __future__ import annotations

import pytest

from policies.session_rules import (
    EffectiveRules,
    Expiry,
    RoleRules,
    SessionAge,
    UserOverrides,
    effective_rules,
    expiry,
    needs_activity_write,
    seconds_left,
    sessions_to_evict,
    should_warn,
)

T0 = 1_700_000_000.0
ROLES = {
    "technician": RoleRules(idle_timeout_seconds=1800, lifetime_seconds=43200, max_sessions=1),
    "admin": RoleRules(idle_timeout_seconds=600, lifetime_seconds=28800, max_sessions=2),
    "auditor": RoleRules(idle_timeout_seconds=3600, lifetime_seconds=43200, max_sessions=3),
}


def _age(
    sid: str = "s", created: float = T0, seen: float = T0, idle: float = 1800, expires: float = T0 + 43200
) -> SessionAge:
    return SessionAge(id=sid, created_at=created, last_seen_at=seen, idle_timeout=idle, expires_at=expires)


@pytest.mark.parametrize(
    ("session", "now", "expected"),
    [
        (_age(), T0, Expiry.LIVE),
        (_age(), T0 + 1799.9, Expiry.LIVE),
        (_age(), T0 + 1800, Expiry.IDLE),  # the idle deadline itself is already out
        (_age(seen=T0 + 1000), T0 + 2799, Expiry.LIVE),  # activity moved the deadline
        (_age(seen=T0 + 1000), T0 + 2800, Expiry.IDLE),
        (_age(seen=T0 + 43000), T0 + 43199, Expiry.LIVE),
        (_age(seen=T0 + 43000), T0 + 43200, Expiry.ABSOLUTE),  # active to the end: absolute wins
        (_age(expires=T0 + 100), T0 + 5000, Expiry.ABSOLUTE),  # absolute passed first
        (_age(expires=T0 + 3000), T0 + 5000, Expiry.IDLE),  # idle passed first (at T0+1800)
        (_age(expires=T0 + 1800), T0 + 1800, Expiry.ABSOLUTE),  # both at once: absolute
    ],
)
def test_expiry(session: SessionAge, now: float, expected: Expiry) -> None:
    assert expiry(session, now) is expected


@pytest.mark.parametrize(
    ("role", "overrides", "expected"),
    [
        ("technician", None, EffectiveRules("technician", 1800, 43200, 1)),
        ("admin", None, EffectiveRules("admin", 600, 28800, 2)),
        ("admin", UserOverrides(idle_timeout_seconds=300), EffectiveRules("admin", 300, 28800, 2)),
        ("technician", UserOverrides(max_sessions=4), EffectiveRules("technician", 1800, 43200, 4)),
        ("technician", UserOverrides(lifetime_seconds=3600), EffectiveRules("technician", 1800, 3600, 1)),
        # a technician's own lifetime never lengthens the role's:
        ("technician", UserOverrides(lifetime_seconds=10**6), EffectiveRules("technician", 1800, 43200, 1)),
        ("super_admin", None, EffectiveRules("technician", 1800, 43200, 1)),  # no rules for it: the default role's
        ("nonsense", None, EffectiveRules("technician", 1800, 43200, 1)),
    ],
)
def test_effective_rules(role: str, overrides: UserOverrides | None, expected: EffectiveRules) -> None:
    assert effective_rules(ROLES, role, overrides) == expected


@pytest.mark.parametrize(
    ("ages", "limit", "expected"),
    [
        ([], 1, ()),
        ([("a", 1.0)], 1, ("a",)),
        ([("a", 1.0)], 2, ()),
        ([("b", 2.0), ("a", 1.0), ("c", 3.0)], 1, ("a", "b", "c")),
        ([("b", 2.0), ("a", 1.0), ("c", 3.0)], 2, ("a", "b")),  # oldest first
        ([("b", 2.0), ("a", 1.0), ("c", 3.0)], 3, ("a",)),
        ([("b", 2.0), ("a", 1.0), ("c", 3.0)], 4, ()),
        ([("y", 5.0), ("x", 5.0)], 2, ("x",)),  # same instant: stable by id
    ],
)
def test_sessions_to_evict(ages: list[tuple[str, float]], limit: int, expected: tuple[str, ...]) -> None:
    live = [_age(sid=sid, created=T0 + created) for sid, created in ages]
    assert sessions_to_evict(live, limit) == expected


def test_eviction_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        sessions_to_evict([], 0)


@pytest.mark.parametrize(
    ("session", "now", "left", "warn"),
    [
        (_age(), T0, (1800, 43200), False),
        (_age(), T0 + 1680, (120, 41520), True),  # two minutes left: warn
        (_age(), T0 + 1679, (121, 41521), False),
        (_age(expires=T0 + 1700), T0 + 1690, (110, 10), False),  # the absolute end comes first: no idle warning
        (_age(), T0 + 5000, (0, 38200), False),  # already out
    ],
)
def test_time_left_and_warning(session: SessionAge, now: float, left: tuple[float, float], warn: bool) -> None:
    assert seconds_left(session, now) == left
    assert should_warn(session, now, 120) is warn


@pytest.mark.parametrize(
    ("stored", "now", "expected"), [(T0, T0, False), (T0, T0 + 29.9, False), (T0, T0 + 30, True)]
)
def test_activity_write_coalescing(stored: float, now: float, expected: bool) -> None:
    assert needs_activity_write(stored, now, 30) is expected
