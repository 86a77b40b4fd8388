"""Tests for policies/allow_list.py: providers per portal and the decision for one provider."""

from __future__ import annotations

import dataclasses

import pytest

from policies.allow_list import (
    PROVIDER_NOT_ALLOWED,
    PROVIDER_NOT_ALLOWED_FOR_PORTAL,
    UNKNOWN_PORTAL,
    AllowListRules,
    decide_live_session,
    decide_provider,
    providers_for_portal,
)
from policies.decisions import Allow, Deny
from policies.identity_allow_list import IdentityRule, IdentityRules
from providers.base import Identity

RULES = AllowListRules(
    allowed_providers=("okta", "corp", "google"),
    portal_providers={
        "wiki": None,  # inherits the global list
        "payroll": frozenset({"google", "corp"}),
        "legacy": frozenset({"corp", "retired"}),  # names a provider the global list no longer allows
        "closed": frozenset(),
    },
)
NOTHING_ALLOWED = AllowListRules(allowed_providers=(), portal_providers={"wiki": None, "hr": frozenset({"corp"})})


@pytest.mark.parametrize(
    ("rules", "client_id", "expected"),
    [
        (RULES, "wiki", ("okta", "corp", "google")),
        (RULES, "payroll", ("corp", "google")),  # the global order, not the portal's
        (RULES, "legacy", ("corp",)),  # a portal list never widens the global one
        (RULES, "closed", ()),
        (RULES, "unknown", ()),
        (NOTHING_ALLOWED, "wiki", ()),  # an empty global list allows nothing, never everything
        (NOTHING_ALLOWED, "hr", ()),
    ],
)
def test_providers_for_portal(rules: AllowListRules, client_id: str, expected: tuple[str, ...]) -> None:
    assert providers_for_portal(rules, client_id) == expected


@pytest.mark.parametrize(
    ("rules", "client_id", "provider_id", "expected"),
    [
        (RULES, "wiki", "okta", Allow()),
        (RULES, "wiki", "google", Allow()),
        (RULES, "payroll", "corp", Allow()),
        (RULES, "legacy", "corp", Allow()),
        (RULES, "wiki", "github", PROVIDER_NOT_ALLOWED),
        (RULES, "payroll", "okta", PROVIDER_NOT_ALLOWED_FOR_PORTAL),
        (RULES, "legacy", "retired", PROVIDER_NOT_ALLOWED),  # the global list wins
        (RULES, "closed", "corp", PROVIDER_NOT_ALLOWED_FOR_PORTAL),
        (RULES, "unknown", "corp", UNKNOWN_PORTAL),
        (RULES, "unknown", "github", UNKNOWN_PORTAL),  # the portal is checked first
        (NOTHING_ALLOWED, "wiki", "corp", PROVIDER_NOT_ALLOWED),
        (NOTHING_ALLOWED, "hr", "corp", PROVIDER_NOT_ALLOWED),
        (RULES, "wiki", "", PROVIDER_NOT_ALLOWED),
        (RULES, "", "corp", UNKNOWN_PORTAL),
    ],
)
def test_decide_provider(rules: AllowListRules, client_id: str, provider_id: str, expected: Allow | Deny) -> None:
    assert decide_provider(rules, client_id, provider_id) == expected


def test_every_provider_offered_is_allowed_and_no_other() -> None:
    for client_id in ("wiki", "payroll", "legacy", "closed", "unknown"):
        offered = providers_for_portal(RULES, client_id)
        for provider_id in ("okta", "corp", "google", "retired", "github"):
            allowed = decide_provider(RULES, client_id, provider_id) == Allow()
            assert allowed == (provider_id in offered), (client_id, provider_id)


def test_deny_codes_are_distinct_and_reasons_are_for_users() -> None:
    denials = [PROVIDER_NOT_ALLOWED, PROVIDER_NOT_ALLOWED_FOR_PORTAL, UNKNOWN_PORTAL]
    assert [d.code for d in denials] == ["provider_not_allowed", "provider_not_allowed_for_portal", "unknown_portal"]
    assert len({d.reason for d in denials}) == 3
    for denial in denials:
        assert denial.reason[0].isupper() and denial.reason.endswith(".")
        assert "_" not in denial.reason


def test_rules_are_frozen_and_copied() -> None:
    portals: dict[str, frozenset[str] | None] = {"wiki": None}
    rules = AllowListRules(allowed_providers=("corp", "corp", "okta"), portal_providers=portals)
    portals["intruder"] = None
    assert providers_for_portal(rules, "intruder") == ()
    assert rules.allowed_providers == ("corp", "okta")  # duplicates dropped, order kept
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.allowed_providers = ("okta",)  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.portal_providers["wiki"] = frozenset()  # type: ignore[index]


NARROWED = dataclasses.replace(
    RULES, identity=IdentityRules(by_provider={"okta": IdentityRule(groups=frozenset({"office"}))})
)


@pytest.mark.parametrize(
    ("provider", "groups", "code"),
    [
        ("retired", ("office",), "provider_not_allowed"),  # the provider check comes first
        ("okta", ("field",), "group_not_allowed"),
        ("okta", ("office",), None),
        ("corp", ("field",), None),  # no global rule for corp
        ("legacy-only", None, "provider_not_allowed"),  # unjudgeable facts do not save a removed provider
        ("okta", None, None),  # facts not recorded: kept
    ],
)
def test_decide_live_session(provider: str, groups: tuple[str, ...] | None, code: str | None) -> None:
    facts = None if groups is None else Identity(provider_id=provider, issuer="i", subject="s", groups=groups)
    decision = decide_live_session(NARROWED, provider, facts)
    if code is None:
        assert decision == Allow()
    else:
        assert isinstance(decision, Deny) and decision.code == code
