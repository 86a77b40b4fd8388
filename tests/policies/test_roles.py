"""Tests for policies/roles.py: the order of privilege and the most privileged of several roles."""

from __future__ import annotations

import pytest

from idp_bridge.config.session_model import RoleName
from policies.roles import PRIVILEGE_ORDER, ROLES, most_privileged

CASES: list[tuple[tuple[str | None, ...], str | None]] = [
    ((), None),
    ((None,), None),
    ((None, None), None),
    (("technician",), "technician"),
    (("auditor", "technician"), "auditor"),
    (("technician", "auditor"), "auditor"),
    (("admin", "auditor"), "admin"),
    (("admin", "super_admin", "auditor"), "super_admin"),
    ((None, "admin"), "admin"),
    (("root", "technician"), "technician"),  # a name that is no role is ignored
    (("root",), None),
]


@pytest.mark.parametrize(("roles", "expected"), CASES)
def test_most_privileged(roles: tuple[str | None, ...], expected: str | None) -> None:
    assert most_privileged(*roles) == expected


def test_the_order_names_every_role_once() -> None:
    assert sorted(PRIVILEGE_ORDER) == sorted(ROLES) == sorted(RoleName.__args__)  # type: ignore[attr-defined]
