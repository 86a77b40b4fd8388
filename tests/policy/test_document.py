"""Tests for policy/document.py: the config as version 1, validation messages, rules, diff, role mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from idp_bridge.config.model import Config
from idp_bridge.policy.document import (
    PolicyInvalid,
    RoleMapping,
    canonical,
    diff,
    from_config,
    mapped_role,
    maps_groups,
    parse,
    to_rules,
)
from tests.bridge_harness import PORTAL_ID, PUBLIC_PORTAL_ID, make_config

UPSTREAMS = {"acme": "http://127.0.0.1:1/acme", "globex": "http://127.0.0.1:2/globex"}


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    portals = {PUBLIC_PORTAL_ID: ("acme",)}
    return make_config(tmp_path, UPSTREAMS, key_file=tmp_path / "k.json", portal_providers=portals)


def test_config_is_version_one(cfg: Config) -> None:
    doc = from_config(cfg)
    assert doc.allowed_providers == ("acme", "globex")
    assert doc.portals[PUBLIC_PORTAL_ID].allowed_providers == ("acme",)
    rules = to_rules(doc, cfg)
    assert rules.allowed_providers == ("acme", "globex")
    assert rules.portal_providers[PUBLIC_PORTAL_ID] == frozenset({"acme"})
    assert rules.portal_providers[PORTAL_ID] is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"allowed_providers": []}, "policy.allowed_providers: must name at least one provider (got [])"),
        ({"allowed_providers": ["nope"]}, "policy.allowed_providers: unknown provider (got 'nope')"),
        ({"allowed_providers": ["acme"], "portals": {"ghost": {}}}, "portals.ghost: unknown portal (got 'ghost')"),
        (
            {"allowed_providers": ["acme"], "portals": {PORTAL_ID: {"allowed_providers": ["globex"]}}},
            f"portals.{PORTAL_ID}.allowed_providers: not in policy.allowed_providers (got 'globex')",
        ),
        ({"allowed_providers": "acme"}, "allowed_providers: Input should be a valid tuple (got 'acme')"),
        ({"allowed_providers": ["acme"], "extra": 1}, "extra: Extra inputs are not permitted (got 1)"),
        (
            {"allowed_providers": ["acme"], "role_mappings": [{"provider": "acme", "role": "admin"}]},
            "role_mappings[0]: must set exactly one of group, app_role (got neither)",
        ),
        (
            {
                "allowed_providers": ["acme"],
                "role_mappings": [{"provider": "acme", "group": "g", "app_role": "r", "role": "admin"}],
            },
            "role_mappings[0]: must set exactly one of group, app_role (got both)",
        ),
        (
            {"allowed_providers": ["acme"], "role_mappings": [{"provider": "acme", "group": "g", "role": "root"}]},
            "role_mappings.0.role: Input should be 'super_admin', 'admin', 'technician' or 'auditor' (got 'root')",
        ),
        (
            {"allowed_providers": ["acme"], "role_mappings": [{"provider": "x", "group": "g", "role": "admin"}]},
            "role_mappings[0].provider: unknown provider (got 'x')",
        ),
    ],
)
def test_invalid_documents_name_the_key(cfg: Config, data: object, problem: str) -> None:
    with pytest.raises(PolicyInvalid) as caught:
        parse(data, cfg)
    assert problem in caught.value.problems


def test_diff_and_canonical_text(cfg: Config) -> None:
    old = from_config(cfg)
    new = parse({"allowed_providers": ["acme"], "portals": {PUBLIC_PORTAL_ID: {"allowed_providers": ["acme"]}}}, cfg)
    text = diff(old, new, "version 1", "version 2")
    assert text.startswith("--- version 1\n+++ version 2\n")
    assert '-    "globex"' in text
    assert diff(old, old) == ""
    assert parse(json.loads(canonical(new)), cfg) == new


def test_role_mapping_takes_the_most_privileged_match(cfg: Config) -> None:
    doc = parse(
        {
            "allowed_providers": ["acme"],
            "role_mappings": [
                {"provider": "acme", "group": "helpdesk", "role": "auditor"},
                {"provider": "acme", "group": "secops", "role": "super_admin"},
                {"provider": "acme", "app_role": "Bridge.Admin", "role": "admin"},
            ],
        },
        cfg,
    )
    assert mapped_role(doc, "acme", ("helpdesk",), ()) == "auditor"
    assert mapped_role(doc, "acme", ("helpdesk", "secops"), ()) == "super_admin"
    assert mapped_role(doc, "acme", (), ("Bridge.Admin",)) == "admin"
    assert mapped_role(doc, "globex", ("secops",), ()) is None
    assert mapped_role(doc, "acme", (), ()) is None


def test_maps_groups_only_where_a_group_mapping_names_the_provider(cfg: Config) -> None:
    doc = parse(
        {
            "allowed_providers": ["acme", "globex"],
            "role_mappings": [
                {"provider": "acme", "group": "secops", "role": "super_admin"},
                {"provider": "globex", "app_role": "Bridge.Admin", "role": "admin"},
            ],
        },
        cfg,
    )
    assert maps_groups(doc, "acme") is True
    assert maps_groups(doc, "globex") is False  # app roles only: group overage changes nothing there
    assert maps_groups(from_config(cfg), "acme") is False


def test_config_role_mappings_are_version_one(cfg: Config) -> None:
    mapping = RoleMapping(provider="acme", group="secops", role="super_admin")
    doc = from_config(cfg.model_copy(update={"policy": cfg.policy.model_copy(update={"role_mappings": (mapping,)})}))
    assert doc.role_mappings == (mapping,)
    assert mapped_role(doc, "acme", ("secops",), ()) == "super_admin"
    assert parse(json.loads(canonical(doc)), cfg) == doc
