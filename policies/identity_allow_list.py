"""Which accounts of an allowed provider may sign in: Entra tenant, Google domain, groups, app roles; globally
per provider and per portal. A rule narrows, never widens: the global rule and the portal's rule must both pass.

Group rules and Entra's group overage: when the upstream left the groups out of the token because there were
too many (`Identity.groups_overage`), membership cannot be checked, so a rule that needs groups refuses with
its own reason, never as "not a member" and never as "no groups, so no rule applies".

Live sessions: a session keeps the facts of its login (tenant, groups, app roles, overage), so when a new policy
version narrows a provider's global rule, `session_still_allowed` tells which sessions the new rule refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from policies.decisions import Allow, Deny
from providers.base import Identity

TENANT_NOT_ALLOWED = Deny("tenant_not_allowed", "Accounts of your organisation may not sign in to this application.")
GROUP_NOT_ALLOWED = Deny("group_not_allowed", "Your account is not in a group that may sign in to this application.")
ROLE_NOT_ALLOWED = Deny("role_not_allowed", "Your account does not have a role that may sign in to this application.")
GROUP_OVERAGE = Deny(
    "group_overage",
    "Your account is a member of too many groups for the sign-in provider to list them, so your group "
    "membership cannot be checked. Ask your administrator to emit only the groups assigned to this application.",
)


class IdentityFacts(Protocol):
    """What a rule looks at: an upstream login's `Identity`, or the facts a session recorded at its login."""

    @property
    def tenant(self) -> str | None: ...

    @property
    def groups(self) -> tuple[str, ...]: ...

    @property
    def roles(self) -> tuple[str, ...]: ...

    @property
    def groups_overage(self) -> bool: ...


@dataclass(frozen=True)
class IdentityRule:
    """Each set that is not None must match: `tenants` (Entra tid or Google hd, compared with Identity.tenant,
    case-insensitively), `groups` and `roles` (at least one in common)."""

    tenants: frozenset[str] | None = None
    groups: frozenset[str] | None = None
    roles: frozenset[str] | None = None


@dataclass(frozen=True)
class IdentityRules:
    """`by_provider`: the global rule of each provider id; `by_portal`: (client_id, provider id) -> rule."""

    by_provider: Mapping[str, IdentityRule] = field(default_factory=dict)
    by_portal: Mapping[tuple[str, str], IdentityRule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_provider", MappingProxyType(dict(self.by_provider)))
        object.__setattr__(self, "by_portal", MappingProxyType(dict(self.by_portal)))


def check_rule(rule: IdentityRule, identity: IdentityFacts) -> Allow | Deny:
    if rule.tenants is not None:
        tenant = (identity.tenant or "").lower()
        if tenant not in {t.lower() for t in rule.tenants}:
            return TENANT_NOT_ALLOWED
    if rule.groups is not None:
        if identity.groups_overage:
            return GROUP_OVERAGE
        if not rule.groups & set(identity.groups):
            return GROUP_NOT_ALLOWED
    if rule.roles is not None and not rule.roles & set(identity.roles):
        return ROLE_NOT_ALLOWED
    return Allow()


def decide_identity(rules: IdentityRules, client_id: str, identity: Identity) -> Allow | Deny:
    """Whether `identity` may sign in to portal `client_id` (the provider itself is already allowed)."""
    for rule in (rules.by_provider.get(identity.provider_id), rules.by_portal.get((client_id, identity.provider_id))):
        if rule is not None:
            decision = check_rule(rule, identity)
            if isinstance(decision, Deny):
                return decision
    return Allow()


def needs_fresh_identity(rules: IdentityRules, client_id: str, provider_id: str) -> bool:
    """A portal with its own rule for this provider is not answered from a session started elsewhere: the
    upstream is asked again, so the rule sees the account as it is now, not as it was at that session's login
    (sessions keep those facts only to judge the global rule when the policy changes: session_still_allowed)."""
    return (client_id, provider_id) in rules.by_portal


def session_still_allowed(rules: IdentityRules, provider_id: str, facts: IdentityFacts | None) -> Allow | Deny:
    """Whether a live session signed in through `provider_id`, whose login had these identity `facts`, passes the
    provider's GLOBAL rule (a new policy version may have narrowed it; the Deny says why not). Per-portal rules are
    not asked: a portal with its own rule never trusts a session started elsewhere (needs_fresh_identity).

    `facts` None: a session opened before sessions kept their identity facts cannot be judged and is kept (Allow);
    it ends at its own timeouts. Whether the provider itself is still allowed is policies.allow_list's question."""
    rule = rules.by_provider.get(provider_id)
    if rule is None or facts is None:
        return Allow()
    return check_rule(rule, facts)
