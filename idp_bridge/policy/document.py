"""The editable allowed-provider policy: a document (JSON/TOML shape), its validation, rules, canonical text and diff.

One document holds everything a security team edits at run time: the global allowed providers and identity rules,
per-portal allowed providers and identity rules, and the mapping of upstream groups/app roles to admin roles.
Providers and portals themselves (secrets, URLs) stay in the config file. The config's [policy] and portal lists
are version 1 of this document when the store holds none.

Role mappings are evaluated at each upstream login and the result recorded for the technician (the mapped role,
combined with the local one by idp_bridge/roles/effective.py); a changed mapping therefore needs nothing done to live
sessions, and reaches each technician at their next login. Allowed providers, in contrast, end live sessions on
save (admin/policy_service.py).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from idp_bridge.config.model import Config, cross_reference_problems
from idp_bridge.config.provider_models import IdentityRuleConfig
from idp_bridge.config.role_mapping_model import RoleMapping, role_mapping_problems
from idp_bridge.config.session_model import ADMIN_CLIENT_ID, FORWARD_AUTH_CLIENT_ID, RoleName
from idp_bridge.wiring import identity_rule
from policies.allow_list import AllowListRules
from policies.identity_allow_list import IdentityRules
from policies.roles import most_privileged

AdminRole = RoleName


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortalPolicy(_Strict):
    allowed_providers: tuple[str, ...] | None = Field(
        default=None, description="Subset of the global allowed providers; null means all globally allowed."
    )
    identity_rules: dict[str, IdentityRuleConfig] = Field(default_factory=dict)


class PolicyDocument(_Strict):
    allowed_providers: tuple[str, ...] = Field(description="Providers usable at all; must not be empty.")
    identity_rules: dict[str, IdentityRuleConfig] = Field(default_factory=dict)
    portals: dict[str, PortalPolicy] = Field(default_factory=dict)
    role_mappings: tuple[RoleMapping, ...] = ()


class PolicyInvalid(ValueError):
    """A policy document that cannot be applied; `problems` are `key: what is wrong (got 'value')` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def from_config(config: Config) -> PolicyDocument:
    """Version 1: the config file's [policy] (with its role_mappings) and each portal's allowed_providers and
    identity_rules."""
    return PolicyDocument(
        allowed_providers=config.policy.allowed_providers,
        identity_rules=dict(config.policy.identity_rules),
        role_mappings=config.policy.role_mappings,
        portals={
            cid: PortalPolicy(allowed_providers=p.allowed_providers, identity_rules=dict(p.identity_rules))
            for cid, p in config.portals.items()
        },
    )


def parse(data: object, config: Config) -> PolicyDocument:
    """Validate plain data (parsed JSON or TOML) against the schema and the config's providers and portals."""
    try:
        document = PolicyDocument.model_validate(data)
    except ValidationError as exc:
        raise PolicyInvalid([_pydantic_problem(e) for e in exc.errors()]) from None
    problems = document_problems(document, config)
    if problems:
        raise PolicyInvalid(problems)
    return document


def document_problems(document: PolicyDocument, config: Config) -> list[str]:
    """Cross-reference problems, checked by the config's own rules on the config with this policy in place."""
    data: dict[str, Any] = config.model_dump(mode="json")
    data["policy"] = {
        "allowed_providers": list(document.allowed_providers),
        "identity_rules": {k: v.model_dump(mode="json", exclude_none=True) for k, v in document.identity_rules.items()},
    }
    problems: list[str] = []
    for cid, portal in document.portals.items():
        if cid not in data["portals"]:
            problems.append(f"portals.{cid}: unknown portal (got {cid!r})")
            continue
        data["portals"][cid]["allowed_providers"] = (
            list(portal.allowed_providers) if portal.allowed_providers is not None else None
        )
        data["portals"][cid]["identity_rules"] = {
            k: v.model_dump(mode="json", exclude_none=True) for k, v in portal.identity_rules.items()
        }
    mappings = [m.model_dump(mode="json") for m in document.role_mappings]
    problems += role_mapping_problems(mappings, config.providers, "role_mappings")
    relevant = [p for p in cross_reference_problems(data) if p.startswith(("policy.", "portals"))]
    return problems + relevant


def to_rules(document: PolicyDocument, config: Config) -> AllowListRules:
    """The allow-list rules the login path enforces. Portals missing from the document inherit the global list.
    Forward-auth sign-ins and the admin console are pseudo-portals of their own whose narrowing stays in the config
    file (forward_auth.allowed_providers, admin.allowed_providers); like any portal's, it never widens the policy's
    global list."""
    portals = {cid: document.portals.get(cid, PortalPolicy()) for cid in config.portals}
    portal_providers = {
        cid: frozenset(p.allowed_providers) if p.allowed_providers is not None else None for cid, p in portals.items()
    }
    fa = config.forward_auth
    if fa.protected_hosts:
        portal_providers[FORWARD_AUTH_CLIENT_ID] = (
            frozenset(fa.allowed_providers) if fa.allowed_providers is not None else None
        )
    if config.admin.enabled:
        own = config.admin.allowed_providers
        portal_providers[ADMIN_CLIENT_ID] = frozenset(own) if own is not None else None
    return AllowListRules(
        allowed_providers=document.allowed_providers,
        portal_providers=portal_providers,
        identity=IdentityRules(
            by_provider={pid: identity_rule(rule) for pid, rule in document.identity_rules.items()},
            by_portal={
                (cid, pid): identity_rule(rule) for cid, p in portals.items() for pid, rule in p.identity_rules.items()
            },
        ),
    )


def canonical(document: PolicyDocument) -> str:
    """Stable, sorted JSON text: what is stored, exported and diffed."""
    return json.dumps(document.model_dump(mode="json", exclude_defaults=False), indent=2, sort_keys=True) + "\n"


def diff(old: PolicyDocument | None, new: PolicyDocument, old_label: str = "current", new_label: str = "new") -> str:
    """A unified diff of the canonical texts ("" when nothing changes)."""
    before = canonical(old).splitlines(keepends=True) if old is not None else []
    after = canonical(new).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, fromfile=old_label, tofile=new_label))


def mapped_role(
    document: PolicyDocument, provider_id: str, groups: tuple[str, ...], roles: tuple[str, ...]
) -> str | None:
    """The most privileged role the role mappings give an identity with these upstream groups and app roles.

    Evaluated at each upstream login (idp_bridge/roles/mapping.py records the result for the technician), so a
    changed mapping needs nothing done to live sessions: it applies from the technician's next login on."""
    return most_privileged(
        *(
            m.role
            for m in document.role_mappings
            if m.provider == provider_id
            and ((m.group is not None and m.group in groups) or (m.app_role is not None and m.app_role in roles))
        )
    )


def maps_groups(document: PolicyDocument, provider_id: str) -> bool:
    """Whether any role mapping of this provider needs the upstream's groups (and so group overage matters)."""
    return any(m.provider == provider_id and m.group is not None for m in document.role_mappings)


def _pydantic_problem(error: Any) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or "policy"
    value = error.get("input")
    shown = value if isinstance(value, str | int | float | bool) or value is None else type(value).__name__
    return f"{where}: {error.get('msg', 'invalid')} (got {shown!r})"
