"""Tests for policies/role_mapping.py: the mapped role follows the upstream, except under group overage."""

from __future__ import annotations

import pytest

from policies.role_mapping import MappedRoleUpdate, next_mapped_role

# (name, previous, computed, groups_left_out, expected)
CASES: list[tuple[str, str | None, str | None, bool, MappedRoleUpdate]] = [
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
    ("previous", "computed", "left_out", "expected"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_next_mapped_role(
    previous: str | None, computed: str | None, left_out: bool, expected: MappedRoleUpdate
) -> None:
    assert next_mapped_role(previous, computed, groups_left_out=left_out) == expected
