"""Tests for idp_bridge/config/loader.py: several mistakes at once, in model order, with cross-references."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp_bridge.config.loader import ConfigError, load_config
from idp_bridge.policy.document import from_config
from tests.config.loader_harness import EXTRA_PROVIDER, edited, problems_for, write


def test_every_mistake_is_reported_at_once_in_model_order(tmp_path: Path) -> None:
    edits = {
        "portals.wiki.allowed_providers": ["okta"],  # cross-reference
        "providers.corp.issuer": "okta.example",
        "server.colour": "blue",
        "server.port": 70000,
        "policy.allowed_providers": [],  # cross-reference
        "sessions.idle_timeout_seconds": 5,
    }
    expected = [
        "server.port: must be between 1 and 65535 (got '70000')",
        "server.colour: unknown option (got 'blue')",
        "sessions.idle_timeout_seconds: must be between 60 and 2592000 (got '5')",
        "policy.allowed_providers: must name at least one provider (got [])",
        "providers.corp.issuer: must be an absolute http(s) URL (got 'okta.example')",
        "portals.wiki.allowed_providers: unknown provider (got 'okta')",
    ]
    assert problems_for(tmp_path, edits) == expected
    assert problems_for(tmp_path, edits) == expected  # stable


def test_three_independent_mistakes_give_three_lines(tmp_path: Path) -> None:
    edits = {
        "server.issuer": "http://sso.example.com",
        "server.port": 0,
        "providers.extra": EXTRA_PROVIDER,
        "portals.wiki.allowed_providers": ["extra"],
    }
    assert problems_for(tmp_path, edits) == [
        "server.port: must be between 1 and 65535 (got '0')",
        "server.issuer: must use https unless server.dev_mode = true (got 'http://sso.example.com')",
        "portals.wiki.allowed_providers: not in policy.allowed_providers (got 'extra')",
    ]


CROSS_ONLY = {
    "policy.allowed_providers": ["corp", "okta"],
    "portals.wiki.allowed_providers": [],
    "providers.corp.issuer": "http://login.corp.example.com",
}


def test_cross_references_are_the_same_with_or_without_field_errors(tmp_path: Path) -> None:
    """Alone they come from Config's own validator; next to a field error, from the loader's raw-data run."""
    alone = problems_for(tmp_path, CROSS_ONLY)
    assert len(alone) == 3
    with_field_error = problems_for(tmp_path, {**CROSS_ONLY, "tokens.code_lifetime_seconds": 0})
    assert with_field_error == ["tokens.code_lifetime_seconds: must be between 5 and 60 (got '0')", *alone]


def test_every_role_mapping_problem_is_reported_at_once(tmp_path: Path) -> None:
    mappings = [
        {"provider": "corp", "group": "secops", "role": "super_admin"},  # fine
        {"provider": "nope", "role": "boss"},
        {"provider": "corp", "group": "g", "app_role": "r", "role": "admin"},
    ]
    assert problems_for(tmp_path, {"policy.role_mappings": mappings, "server.port": 0}) == [
        "server.port: must be between 1 and 65535 (got '0')",
        "policy.role_mappings[1].role: must be one of 'super_admin', 'admin', 'technician', 'auditor' (got 'boss')",
        "policy.role_mappings[1].provider: unknown provider (got 'nope')",
        "policy.role_mappings[1]: must set exactly one of group, app_role (got neither)",
        "policy.role_mappings[2]: must set exactly one of group, app_role (got both)",
    ]


def test_role_mappings_are_version_one_of_the_policy(tmp_path: Path) -> None:
    mapping = {"provider": "corp", "group": "secops", "role": "super_admin"}
    config = load_config(write(tmp_path, edited({"policy.role_mappings": [mapping]})), environ={})
    assert [m.model_dump() for m in from_config(config).role_mappings] == [{**mapping, "app_role": None}]


def test_an_empty_allow_list_is_reported_once(tmp_path: Path) -> None:
    edits = {"policy.allowed_providers": [], "portals.wiki.allowed_providers": ["corp"]}
    assert problems_for(tmp_path, edits) == ["policy.allowed_providers: must name at least one provider (got [])"]


def test_config_error_carries_the_lines(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, edited({"server.port": 0, "server.host": 1})), environ={})
    assert caught.value.problems == [
        "server.host: must be a string (got '1')",
        "server.port: must be between 1 and 65535 (got '0')",
    ]
    assert str(caught.value) == "\n".join(caught.value.problems)
