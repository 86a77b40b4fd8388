"""Table tests for policies/identity_allow_list.py."""

from __future__ import annotations

import pytest

from policies.decisions import Allow, Deny
from policies.identity_allow_list import IdentityRule, IdentityRules, decide_identity, needs_fresh_identity
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
