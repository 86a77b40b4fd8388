"""Whether a login needs multi-factor authentication: globally, per portal, per role, per technician, per request.

Order of precedence (first match wins):
1. the portal asked for it on this request (`acr_values` naming the bridge's MFA level);
2. an admin enforced MFA for the technician;
3. the technician's role is one that always needs it (super_admin and admin by default);
4. the portal requires it (`require_mfa = true`);
5. the technician turned it on for themselves;
6. the portal does not require it (`require_mfa = false`);
7. the technician turned it off, where policy lets them;
8. the global setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

DEFAULT_REQUIRED_ROLES = frozenset({"super_admin", "admin"})

Choice = Literal["on", "off"] | None


@dataclass(frozen=True)
class RequirementRules:
    required_globally: bool = True
    required_roles: frozenset[str] = DEFAULT_REQUIRED_ROLES
    portal_required: Mapping[str, bool | None] = field(default_factory=dict)
    technician_may_disable: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "portal_required", MappingProxyType(dict(self.portal_required)))


@dataclass(frozen=True)
class TechnicianMFA:
    """What the store knows about one technician: role, an admin's enforcement, their own choice."""

    role: str = "technician"
    enforced: bool = False
    choice: Choice = None


@dataclass(frozen=True)
class Requirement:
    required: bool
    reason: str  # stable code for audit


def may_turn_off(rules: RequirementRules, technician: TechnicianMFA) -> bool:
    """Whether the technician may switch their own MFA off: policy allows it and nothing forces it on them."""
    return rules.technician_may_disable and not technician.enforced and technician.role not in rules.required_roles


def mfa_required(
    rules: RequirementRules, client_id: str, technician: TechnicianMFA, *, requested_by_portal: bool
) -> Requirement:
    if requested_by_portal:
        return Requirement(True, "requested_by_portal")
    if technician.enforced:
        return Requirement(True, "enforced_for_technician")
    if technician.role in rules.required_roles:
        return Requirement(True, f"role_{technician.role}")
    portal = rules.portal_required.get(client_id)
    if portal is True:
        return Requirement(True, "portal_requires_mfa")
    if technician.choice == "on":
        return Requirement(True, "technician_turned_mfa_on")
    if portal is False:
        return Requirement(False, "portal_does_not_require_mfa")
    if technician.choice == "off" and may_turn_off(rules, technician):
        return Requirement(False, "technician_turned_mfa_off")
    return Requirement(rules.required_globally, "global_policy")
