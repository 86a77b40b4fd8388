"""Tests for policies/mfa_requirement.py: global, per portal, per role, per technician, per request."""

from __future__ import annotations

import pytest

from policies.mfa_requirement import RequirementRules, TechnicianMFA, may_turn_off, mfa_required

RULES = RequirementRules(
    required_globally=False,
    portal_required={"sensitive": True, "kiosk": False, "plain": None},
    technician_may_disable=True,
)
STRICT = RequirementRules(required_globally=True, portal_required={"kiosk": False})
TECH = TechnicianMFA()

CASES = [
    ("global-off", RULES, "plain", TECH, False, False, "global_policy"),
    ("global-on", STRICT, "plain", TECH, False, True, "global_policy"),
    ("unknown-portal-follows-global", STRICT, "other", TECH, False, True, "global_policy"),
    ("portal-requires", RULES, "sensitive", TECH, False, True, "portal_requires_mfa"),
    ("portal-exempts", STRICT, "kiosk", TECH, False, False, "portal_does_not_require_mfa"),
    ("portal-request-beats-exemption", STRICT, "kiosk", TECH, True, True, "requested_by_portal"),
    ("super-admin-always", RULES, "kiosk", TechnicianMFA(role="super_admin"), False, True, "role_super_admin"),
    ("admin-always", RULES, "plain", TechnicianMFA(role="admin"), False, True, "role_admin"),
    ("auditor-follows-global", RULES, "plain", TechnicianMFA(role="auditor"), False, False, "global_policy"),
    ("admin-opt-out-ignored", RULES, "plain", TechnicianMFA(role="admin", choice="off"), False, True, "role_admin"),
    ("enforced-beats-exempt-portal", STRICT, "kiosk", TechnicianMFA(enforced=True), False, True,
     "enforced_for_technician"),
    ("enforced-beats-opt-out", RULES, "plain", TechnicianMFA(enforced=True, choice="off"), False, True,
     "enforced_for_technician"),
    ("technician-turned-on", RULES, "plain", TechnicianMFA(choice="on"), False, True, "technician_turned_mfa_on"),
    ("turned-on-beats-exempt-portal", STRICT, "kiosk", TechnicianMFA(choice="on"), False, True,
     "technician_turned_mfa_on"),
    ("technician-turned-off-where-allowed", RequirementRules(technician_may_disable=True), "plain",
     TechnicianMFA(choice="off"), False, False, "technician_turned_mfa_off"),
    ("turned-off-not-allowed", STRICT, "plain", TechnicianMFA(choice="off"), False, True, "global_policy"),
    ("turned-off-but-portal-requires", RULES, "sensitive", TechnicianMFA(choice="off"), False, True,
     "portal_requires_mfa"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rules", "client_id", "tech", "requested", "required", "reason"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_mfa_required(
    rules: RequirementRules, client_id: str, tech: TechnicianMFA, requested: bool, required: bool, reason: str
) -> None:
    decision = mfa_required(rules, client_id, tech, requested_by_portal=requested)
    assert (decision.required, decision.reason) == (required, reason)


@pytest.mark.parametrize(
    ("rules", "tech", "allowed"),
    [
        (RULES, TECH, True),
        (STRICT, TECH, False),  # policy does not let technicians turn it off
        (RULES, TechnicianMFA(enforced=True), False),  # an enforced technician cannot
        (RULES, TechnicianMFA(role="admin"), False),
        (RULES, TechnicianMFA(role="super_admin"), False),
        (RULES, TechnicianMFA(role="auditor"), True),
    ],
)
def test_may_turn_off(rules: RequirementRules, tech: TechnicianMFA, allowed: bool) -> None:
    assert may_turn_off(rules, tech) is allowed


def test_rules_cannot_change_after_construction() -> None:
    with pytest.raises(TypeError):
        RULES.portal_required["plain"] = True  # type: ignore[index]
