"""Table tests for policies/admin_authorization.py: roles x actions, token scopes, recent MFA, privileged targets."""

from __future__ import annotations

import pytest

from policies.admin_authorization import (
    DISABLED,
    ROLE_FORBIDS,
    SCOPE_MISSING,
    STEP_UP_REQUIRED,
    SUPER_ADMIN_ONLY,
    Action,
    Principal,
    combine_roles,
    decide_admin,
    valid_scopes,
)
from policies.decisions import Allow, Deny

NOW = 1_000_000.0
FRESH = NOW - 60
STALE = NOW - 601


def person(role: str, mfa_at: float | None = FRESH, disabled: bool = False) -> Principal:
    return Principal(kind="session", role=role, mfa_at=mfa_at, disabled=disabled)


def token(*scopes: str) -> Principal:
    return Principal(kind="token", scopes=frozenset(scopes))


A = Action
CASES: list[tuple[Principal, Action, str | None, Allow | Deny]] = [
    # Super Admin: everything, with fresh MFA.
    (person("super_admin"), A.POLICY_WRITE, None, Allow()),
    (person("super_admin"), A.TOKENS_MANAGE, None, Allow()),
    (person("super_admin"), A.TECHNICIANS_WRITE, "admin", Allow()),
    (person("super_admin"), A.SESSIONS_END, "super_admin", Allow()),
    (person("super_admin", mfa_at=STALE), A.POLICY_WRITE, None, STEP_UP_REQUIRED),
    (person("super_admin", mfa_at=None), A.POLICY_WRITE, None, STEP_UP_REQUIRED),
    (person("super_admin", mfa_at=None), A.POLICY_READ, None, Allow()),  # reading needs no step-up
    (person("super_admin", mfa_at=NOW - 600), A.POLICY_WRITE, None, Allow()),  # exactly 10 minutes
    (person("super_admin", disabled=True), A.POLICY_READ, None, DISABLED),
    # Admin: technicians and sessions, never policies, tokens or other admins.
    (person("admin"), A.POLICY_READ, None, Allow()),
    (person("admin"), A.POLICY_WRITE, None, ROLE_FORBIDS),
    (person("admin"), A.TOKENS_MANAGE, None, ROLE_FORBIDS),
    (person("admin"), A.ADMINS_MANAGE, None, ROLE_FORBIDS),
    (person("admin"), A.TECHNICIANS_WRITE, "technician", Allow()),
    (person("admin"), A.TECHNICIANS_WRITE, "auditor", Allow()),
    (person("admin"), A.TECHNICIANS_WRITE, "admin", SUPER_ADMIN_ONLY),
    (person("admin"), A.TECHNICIANS_WRITE, "super_admin", SUPER_ADMIN_ONLY),
    (person("admin"), A.SESSIONS_END, "technician", Allow()),
    (person("admin"), A.SESSIONS_END, "super_admin", SUPER_ADMIN_ONLY),
    (person("admin", mfa_at=STALE), A.SESSIONS_END, "technician", STEP_UP_REQUIRED),
    # Auditor: read-only.
    (person("auditor"), A.AUDIT_READ, None, Allow()),
    (person("auditor"), A.SESSIONS_READ, None, Allow()),
    (person("auditor"), A.SESSIONS_END, "technician", ROLE_FORBIDS),
    (person("auditor"), A.TECHNICIANS_WRITE, "technician", ROLE_FORBIDS),
    # Technician: nothing.
    (person("technician"), A.POLICY_READ, None, ROLE_FORBIDS),
    (person("technician"), A.AUDIT_READ, None, ROLE_FORBIDS),
    (person("technician"), A.POLICY_WRITE, None, ROLE_FORBIDS),
    (Principal(kind="session", role=None), A.POLICY_READ, None, ROLE_FORBIDS),
    # Tokens: their scopes, nothing more; no step-up for machine credentials.
    (token("policy:read"), A.POLICY_READ, None, Allow()),
    (token("policy:read"), A.POLICY_WRITE, None, SCOPE_MISSING),
    (token("policy:write"), A.POLICY_WRITE, None, Allow()),
    (token("technicians:read"), A.TECHNICIANS_WRITE, "technician", SCOPE_MISSING),
    (token("technicians:write"), A.TECHNICIANS_WRITE, "technician", Allow()),
    (token("technicians:write"), A.TECHNICIANS_WRITE, "admin", SCOPE_MISSING),
    (token("technicians:write", "admins:write"), A.TECHNICIANS_WRITE, "admin", Allow()),
    (token("sessions:read"), A.SESSIONS_END, "technician", SCOPE_MISSING),
    (token("sessions:write"), A.SESSIONS_END, "technician", Allow()),
    (token("audit:read"), A.TOKENS_MANAGE, None, SCOPE_MISSING),
    (token("unknown:scope"), A.AUDIT_READ, None, SCOPE_MISSING),
    (token(), A.POLICY_READ, None, SCOPE_MISSING),
]


@pytest.mark.parametrize(("principal", "action", "target_role", "expected"), CASES)
def test_decide_admin(principal: Principal, action: Action, target_role: str | None, expected: Allow | Deny) -> None:
    assert decide_admin(principal, action, NOW, target_role=target_role) == expected


def test_only_super_admins_write_policy_or_manage_admins() -> None:
    for role in ("admin", "auditor", "technician"):
        for action in (A.POLICY_WRITE, A.ADMINS_MANAGE, A.TOKENS_MANAGE):
            assert isinstance(decide_admin(person(role), action, NOW), Deny), (role, action)


@pytest.mark.parametrize(
    ("scopes", "unknown"),
    [(frozenset({"policy:read"}), []), (frozenset({"policy:read", "root", "x:y"}), ["root", "x:y"]), (frozenset(), [])],
)
def test_valid_scopes(scopes: frozenset[str], unknown: list[str]) -> None:
    assert valid_scopes(scopes) == unknown


@pytest.mark.parametrize(
    ("local", "mapped", "expected"),
    [
        ("technician", None, "technician"),
        ("technician", "admin", "admin"),
        ("super_admin", "auditor", "super_admin"),
        (None, "auditor", "auditor"),
        (None, None, "technician"),
        ("bogus", None, "technician"),
    ],
)
def test_combine_roles(local: str | None, mapped: str | None, expected: str) -> None:
    assert combine_roles(local, mapped) == expected
