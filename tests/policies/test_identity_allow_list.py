"""Table tests for policies/identity_allow_list.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from policies.decisions import Allow, Deny
from policies.identity_allow_list import (
    IdentityFacts,
    IdentityRule,
    IdentityRules,
    decide_identity,
    needs_fresh_identity,
    session_still_allowed,
)
from providers.base import Identity

T1, T2 = "tenant-1", "tenant-2"


def ident(provider: str = "ms", tenant: str | None = T1, **extra: object) -> Identity:
    return Identity(provider_id=provider, issuer=f"https://login/{tenant}/v2.0", subject="oid-1", tenant=tenant,
                    **extra)  # type: ignore[arg-type]  # fmt: skip


RULES = IdentityRules(
    by_provider={
        "ms": IdentityRule(tenants=frozenset({T1, T2})),
        "gw": IdentityRule(tenants=frozenset({"example.com"})),
        "ok": IdentityRule(groups=frozenset({"Technicians"})),
    },
    by_portal={
        ("console", "ms"): IdentityRule(tenants=frozenset({T1}), roles=frozenset({"Technician"})),
        ("wiki", "ms"): IdentityRule(groups=frozenset({"g-wiki"})),
    },
)

CASES: list[tuple[str, str, Identity, str | None]] = [
    ("global tenant ok, no portal rule", "other", ident(tenant=T2), None),
    ("global tenant refused", "other", ident(tenant="tenant-x"), "tenant_not_allowed"),
    ("no tenant at all", "other", ident(tenant=None), "tenant_not_allowed"),
    ("portal narrows the tenant", "console", ident(tenant=T2, roles=("Technician",)), "tenant_not_allowed"),
    ("portal needs a role", "console", ident(tenant=T1, roles=("Reader",)), "role_not_allowed"),
    ("portal role present", "console", ident(tenant=T1, roles=("Reader", "Technician")), None),
    ("portal needs a group", "wiki", ident(groups=("g-other",)), "group_not_allowed"),
    ("portal group present", "wiki", ident(groups=("g-wiki",)), None),
    ("group overage is its own refusal", "wiki", ident(groups=(), groups_overage=True), "group_overage"),
    ("overage harmless without a group rule", "other", ident(groups_overage=True), None),
    ("google domain ok", "wiki", ident("gw", "example.com"), None),
    ("google domain case-insensitive", "wiki", ident("gw", "Example.COM"), None),
    ("google other domain", "wiki", ident("gw", "evil.example"), "tenant_not_allowed"),
    ("okta group", "wiki", ident("ok", "acme.okta.com", groups=("Everyone", "Technicians")), None),
    ("okta without the group", "wiki", ident("ok", "acme.okta.com", groups=("Everyone",)), "group_not_allowed"),
    ("provider without rules", "console", ident("corp", None), None),
]


@pytest.mark.parametrize(("client_id", "identity", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decide_identity(client_id: str, identity: Identity, code: str | None) -> None:
    decision = decide_identity(RULES, client_id, identity)
    if code is None:
        assert decision == Allow()
    else:
        assert isinstance(decision, Deny) and decision.code == code and decision.reason


def test_no_rules_allow_every_account_of_an_allowed_provider() -> None:
    assert decide_identity(IdentityRules(), "console", ident(tenant="anything")) == Allow()


@pytest.mark.parametrize(
    ("client_id", "provider", "fresh"), [("console", "ms", True), ("wiki", "ms", True), ("console", "gw", False)]
)
def test_portal_rules_need_a_fresh_upstream_login(client_id: str, provider: str, fresh: bool) -> None:
    assert needs_fresh_identity(RULES, client_id, provider) is fresh


def test_rules_are_read_only() -> None:
    with pytest.raises(TypeError):
        RULES.by_provider["ms"] = IdentityRule()  # type: ignore[index]


@dataclass(frozen=True)
class Facts:
    """What a session recorded at its login (the shape of store.records.session_rules.SessionIdentity)."""

    groups: tuple[str, ...] = ()
    tenant: str | None = None
    roles: tuple[str, ...] = ()
    groups_overage: bool = False


NARROWED = IdentityRules(
    by_provider={
        "ms": IdentityRule(tenants=frozenset({T1}), roles=frozenset({"Technician"})),
        "gw": IdentityRule(tenants=frozenset({"example.com"})),
        "acme": IdentityRule(groups=frozenset({"office"})),
    },
    by_portal={("console", "corp"): IdentityRule(groups=frozenset({"never-asked"}))},
)

SESSION_CASES: list[tuple[str, str, IdentityFacts | None, str | None]] = [
    ("tenant and role still allowed", "ms", Facts(tenant=T1, roles=("Technician",)), None),
    ("tenant removed from the rule", "ms", Facts(tenant=T2, roles=("Technician",)), "tenant_not_allowed"),
    ("tenant never recorded", "ms", Facts(roles=("Technician",)), "tenant_not_allowed"),
    ("role now required", "ms", Facts(tenant=T1, roles=("Reader",)), "role_not_allowed"),
    ("google domain, case-insensitive", "gw", Facts(tenant="EXAMPLE.com"), None),
    ("google domain removed", "gw", Facts(tenant="old.example"), "tenant_not_allowed"),
    ("group kept", "acme", Facts(groups=("field", "office")), None),
    ("group now required", "acme", Facts(groups=("field",)), "group_not_allowed"),
    ("no groups at login", "acme", Facts(), "group_not_allowed"),
    ("overage cannot prove a group", "acme", Facts(groups_overage=True), "group_overage"),
    ("facts not recorded: kept", "acme", None, None),
    ("facts not recorded, tenant rule: kept", "ms", None, None),
    ("provider without a global rule", "globex", Facts(), None),
    ("a portal's own rule is not asked", "corp", Facts(groups=("field",)), None),
    ("an upstream Identity is facts too", "acme", Identity(provider_id="acme", issuer="i", subject="s",
                                                           groups=("office",)), None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("provider", "facts", "code"), [c[1:] for c in SESSION_CASES], ids=[c[0] for c in SESSION_CASES]
)
def test_session_still_allowed(provider: str, facts: IdentityFacts | None, code: str | None) -> None:
    decision = session_still_allowed(NARROWED, provider, facts)
    if code is None:
        assert decision == Allow()
    else:
        assert isinstance(decision, Deny) and decision.code == code and decision.reason


def test_a_session_passes_exactly_when_a_login_with_the_same_facts_would_pass_the_global_rule() -> None:
    for _, provider, facts, _ in SESSION_CASES:
        if facts is None or isinstance(facts, Identity):
            continue
        login = Identity(provider_id=provider, issuer="i", subject="s", groups=facts.groups, tenant=facts.tenant,
                         roles=facts.roles, groups_overage=facts.groups_overage)  # fmt: skip
        assert session_still_allowed(NARROWED, provider, facts) == decide_identity(NARROWED, "other", login)
