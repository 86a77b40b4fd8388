"""Tests for policies/roles.py: the order of privilege, the most privileged of several roles, and the mapped role
(it follows the upstream, except under group overage)."""

from __future__ import annotations

import pytest

from idp_bridge.config.session_model import RoleName
from policies.roles import PRIVILEGE_ORDER, ROLES, MappedRoleUpdate, most_privileged, next_mapped_role

PRIVILEGE_CASES: list[tuple[tuple[str | None, ...], str | None]] = [
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


@pytest.mark.parametrize(("roles", "expected"), PRIVILEGE_CASES)
def test_most_privileged(roles: tuple[str | None, ...], expected: str | None) -> None:
    assert most_privileged(*roles) == expected


def test_the_order_names_every_role_once() -> None:
    assert sorted(PRIVILEGE_ORDER) == sorted(ROLES) == sorted(RoleName.__args__)  # type: ignore[attr-defined]


# (name, previous, computed, groups_left_out, expected)
MAPPING_CASES: list[tuple[str, str | None, str | None, bool, MappedRoleUpdate]] = [
    ("first mapping", None, "super_admin", False, MappedRoleUpdate("super_admin")),
    ("unchanged", "admin", "admin", False, MappedRoleUpdate("admin")),
    ("raised", "auditor", "super_admin", False, MappedRoleUpdate("super_admin")),
    ("lowered: follows the upstream", "super_admin", "technician", False, MappedRoleUpdate("technician")),
    ("cleared when nothing maps any more", "super_admin", None, False, MappedRoleUpdate(None)),
    ("never mapped", None, None, False, MappedRoleUpdate(None)),
    ("overage keeps the earlier role", "super_admin", None, True, MappedRoleUpdate("super_admin", False)),
    ("overage: a lower app role does not lower it", "super_admin", "auditor", True,
     MappedRoleUpdate("super_admin", False)),
    ("overage: a higher app role still raises it", "auditor", "admin", True, MappedRoleUpdate("admin", False)),
    ("overage with nothing recorded", None, None, True, MappedRoleUpdate(None, False)),
    ("overage with an app role only", None, "auditor", True, MappedRoleUpdate("auditor", False)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("previous", "computed", "left_out", "expected"), [pytest.param(*c[1:], id=c[0]) for c in MAPPING_CASES]
)
def test_next_mapped_role(
    previous: str | None, computed: str | None, left_out: bool, expected: MappedRoleUpdate
) -> None:
    assert next_mapped_role(previous, computed, groups_left_out=left_out) == expected
