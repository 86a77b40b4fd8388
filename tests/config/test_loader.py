"""Tests for idp_bridge/config/loader.py: exact problem lines, secrets, and config.example.toml."""

from __future__ import annotations

import copy
import json
import re
import tomllib
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from idp_bridge.admin.policy_document import from_config
from idp_bridge.config.loader import ConfigError, check_config, load_config
from idp_bridge.config.model import Config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config.example.toml"

SERVER_SECRET = "server-secret-0123456789-abcdefghijkl"
CORP_SECRET = "corp-client-secret-value"
WIKI_SECRET = "wiki-client-secret-value"

BASE: dict[str, Any] = {
    "server": {"issuer": "https://sso.example.com", "secret_key": SERVER_SECRET},
    "policy": {"allowed_providers": ["corp"]},
    "providers": {
        "corp": {
            "kind": "oidc",
            "display_name": "Corporate SSO",
            "issuer": "https://login.corp.example.com",
            "client_id": "idp-bridge",
            "client_secret": CORP_SECRET,
        }
    },
    "portals": {
        "wiki": {
            "display_name": "Team wiki",
            "client_secret": WIKI_SECRET,
            "redirect_uris": ["https://wiki.example.com/oauth2/callback"],
        }
    },
}
EXTRA_PROVIDER = {**BASE["providers"]["corp"], "issuer": "https://extra.example.com"}

DELETE = object()


# --- helpers ---------------------------------------------------------------------------------------------


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def to_toml(data: Mapping[str, Any]) -> str:
    """Top-level scalars, then [section] for tables and [section.name] for tables of tables."""
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, table in data.items():
        if not isinstance(table, dict):
            continue
        nested = {k: v for k, v in table.items() if isinstance(v, dict) and section in ("providers", "portals")}
        lines.append(f"\n[{toml_key(section)}]")
        lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items() if k not in nested]
        for name, entry in nested.items():
            lines.append(f"\n[{toml_key(section)}.{toml_key(name)}]")
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def edited(edits: Mapping[str, object]) -> dict[str, Any]:
    """BASE with `edits` applied: {"server.port": 70000, "server.host": DELETE}."""
    data = copy.deepcopy(BASE)
    for path, value in edits.items():
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is DELETE:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
    return data


def write(tmp_path: Path, data: Mapping[str, Any] | str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else to_toml(data), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, edits: Mapping[str, object], environ: Mapping[str, str] | None = None) -> list[str]:
    return check_config(write(tmp_path, edited(edits)), environ=environ or {})


# --- one mistake, one exact line -------------------------------------------------------------------------

ID_RULE = "must be 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter or digit"

SINGLE_MISTAKES: list[tuple[str, dict[str, object], str]] = [
    # integer ranges and types
    ("port too high", {"server.port": 70000}, "server.port: must be between 1 and 65535 (got '70000')"),
    ("port zero", {"server.port": 0}, "server.port: must be between 1 and 65535 (got '0')"),
    ("port not a number", {"server.port": "http"}, "server.port: must be an integer (got 'http')"),
    ("port a fraction", {"server.port": 80.5}, "server.port: must be an integer (got '80.5')"),
    (
        "parameter length",
        {"server.max_parameter_length": 100},
        "server.max_parameter_length: must be between 256 and 65536 (got '100')",
    ),
    (
        "session lifetime",
        {"sessions.lifetime_seconds": 10},
        "sessions.lifetime_seconds: must be between 60 and 2592000 (got '10')",
    ),
    (
        "code lifetime",
        {"tokens.code_lifetime_seconds": 61},
        "tokens.code_lifetime_seconds: must be between 5 and 60 (got '61')",
    ),
    (
        "clock skew",
        {"providers.corp.clock_skew_seconds": -1},
        "providers.corp.clock_skew_seconds: must be between 0 and 300 (got '-1')",
    ),
    (
        "float range",
        {"providers.corp.timeout_seconds": 0},
        "providers.corp.timeout_seconds: must be more than 0 and at most 60 (got '0')",
    ),
    (
        "float type",
        {"providers.corp.timeout_seconds": "soon"},
        "providers.corp.timeout_seconds: must be a number (got 'soon')",
    ),
    # other types
    ("bool", {"server.dev_mode": "maybe"}, "server.dev_mode: must be true or false (got 'maybe')"),
    ("string", {"server.host": 127}, "server.host: must be a string (got '127')"),
    ("list", {"providers.corp.scopes": "openid"}, "providers.corp.scopes: must be a list (got 'openid')"),
    ("table", {"signing": "RS256"}, "signing: must be a table (got 'RS256')"),
    ("list item", {"providers.corp.scopes": ["openid", 7]}, "providers.corp.scopes[1]: must be a string (got '7')"),
    # choices
    ("one choice", {"store.backend": "postgres"}, "store.backend: must be 'sqlite' (got 'postgres')"),
    ("choices", {"signing.algorithm": "HS256"}, "signing.algorithm: must be one of 'RS256', 'ES256' (got 'HS256')"),
    (
        "provider kind",
        {"providers.corp.kind": "saml"},
        "providers.corp.kind: must be one of 'oidc', 'entra', 'google', 'okta' (got 'saml')",
    ),
    ("missing provider kind", {"providers.corp.kind": DELETE}, "providers.corp.kind: is required"),
    (
        "choice in a list",
        {"providers.corp.id_token_algorithms": ["RS256", "HS256"]},
        "providers.corp.id_token_algorithms[1]: must be one of 'RS256', 'ES256', 'PS256', 'EdDSA' (got 'HS256')",
    ),
    # required
    ("missing issuer", {"server.issuer": DELETE}, "server.issuer: is required"),
    ("missing section", {"policy": DELETE}, "policy: is required"),
    ("missing provider field", {"providers.corp.client_id": DELETE}, "providers.corp.client_id: is required"),
    ("missing portal field", {"portals.wiki.redirect_uris": DELETE}, "portals.wiki.redirect_uris: is required"),
    # value rules
    (
        "relative issuer",
        {"server.issuer": "sso.example.com"},
        "server.issuer: must be an absolute http(s) URL (got 'sso.example.com')",
    ),
    (
        "issuer trailing slash",
        {"server.issuer": "https://sso.example.com/"},
        "server.issuer: must have no query, fragment or trailing slash (got 'https://sso.example.com/')",
    ),
    (
        "http issuer",
        {"server.issuer": "http://sso.example.com"},
        "server.issuer: must use https unless server.dev_mode = true (got 'http://sso.example.com')",
    ),
    (
        "provider issuer not a URL",
        {"providers.corp.issuer": "okta.example"},
        "providers.corp.issuer: must be an absolute http(s) URL (got 'okta.example')",
    ),
    (
        "http provider issuer",
        {"providers.corp.issuer": "http://login.corp.example.com"},
        "providers.corp.issuer: must use https unless server.dev_mode = true (got 'http://login.corp.example.com')",
    ),
    (
        "scopes without openid",
        {"providers.corp.scopes": ["email"]},
        "providers.corp.scopes: must include 'openid' (got ['email'])",
    ),
    (
        "no redirect uri",
        {"portals.wiki.redirect_uris": []},
        "portals.wiki.redirect_uris: must list at least one URI (got [])",
    ),
    (
        "relative redirect uri",
        {"portals.wiki.redirect_uris": ["/callback"]},
        "portals.wiki.redirect_uris: '/callback' is not an absolute http(s) URL (got ['/callback'])",
    ),
    (
        "redirect uri fragment",
        {"portals.wiki.redirect_uris": ["https://wiki.example.com/cb#x"]},
        "portals.wiki.redirect_uris: 'https://wiki.example.com/cb#x' must not contain a fragment "
        "(got ['https://wiki.example.com/cb#x'])",
    ),
    # names of providers and portals
    ("provider id", {"providers.Corp SSO": EXTRA_PROVIDER}, f"providers.\"Corp SSO\": name {ID_RULE} (got 'Corp SSO')"),
    ("empty portal id", {"portals.": BASE["portals"]["wiki"]}, "portals.\"\": name must not be empty (got '')"),
    # cross references
    (
        "empty allow-list",
        {"policy.allowed_providers": []},
        "policy.allowed_providers: must name at least one provider (got [])",
    ),
    (
        "allow-list names unknown provider",
        {"policy.allowed_providers": ["corp", "okta"]},
        "policy.allowed_providers: unknown provider (got 'okta')",
    ),
    (
        "portal names unknown provider",
        {"portals.wiki.allowed_providers": ["okta"]},
        "portals.wiki.allowed_providers: unknown provider (got 'okta')",
    ),
    (
        "portal allows provider outside the global list",
        {"providers.extra": EXTRA_PROVIDER, "portals.wiki.allowed_providers": ["corp", "extra"]},
        "portals.wiki.allowed_providers: not in policy.allowed_providers (got 'extra')",
    ),
    (
        "portal allows nothing",
        {"portals.wiki.allowed_providers": []},
        "portals.wiki.allowed_providers: must not be empty (got [])",
    ),
    ("no portals", {"portals": {}}, "portals: must register at least one portal (got none)"),
    # secrets: the value is never shown
    (
        "short secret",
        {"server.secret_key": "too-short"},
        "server.secret_key: must be at least 32 characters (got '***')",
    ),
    ("secret of wrong type", {"server.secret_key": 12345}, "server.secret_key: must be a string (got '***')"),
    ("secret list", {"portals.wiki.client_secret": ["x"]}, "portals.wiki.client_secret: must be a string (got '***')"),
    # mfa
    ("too many failures", {"mfa.max_failures": 101}, "mfa.max_failures: must be between 1 and 100 (got '101')"),
    ("unknown role", {"mfa.required_roles": ["root"]},
     "mfa.required_roles[0]: must be one of 'super_admin', 'admin', 'technician', 'auditor' (got 'root')"),
    ("short mfa key", {"mfa.encryption_key": "short"},
     "mfa.encryption_key: must be at least 32 characters (got '***')"),
    ("email method without smtp", {"mfa.default_method": "email"},
     "mfa: default_method 'email' needs an [mfa.email] table"),
    ("sms template without placeholders", {"mfa.sms": {"url": "https://sms.test/send", "body_template": {"to": "x"}}},
     "mfa.sms.body_template: must contain '{to}' and '{message}' in its values"),
    ("portal require_mfa", {"portals.wiki.require_mfa": "yes please"},
     "portals.wiki.require_mfa: must be true or false (got 'yes please')"),
    # role mappings
    ("role mapping provider", {"policy.role_mappings": [{"provider": "nope", "group": "g", "role": "admin"}]},
     "policy.role_mappings[0].provider: unknown provider (got 'nope')"),
    ("role mapping without match", {"policy.role_mappings": [{"provider": "corp", "role": "admin"}]},
     "policy.role_mappings[0]: must set exactly one of group, app_role (got neither)"),
    ("role mapping with both", {"policy.role_mappings": [{"provider": "corp", "group": "g", "app_role": "r",
                                                          "role": "admin"}]},
     "policy.role_mappings[0]: must set exactly one of group, app_role (got both)"),
    ("role mapping role", {"policy.role_mappings": [{"provider": "corp", "group": "g", "role": "root"}]},
     "policy.role_mappings[0].role: must be one of 'super_admin', 'admin', 'technician', 'auditor' (got 'root')"),
    ("role mapping without role", {"policy.role_mappings": [{"provider": "corp", "group": "g"}]},
     "policy.role_mappings[0].role: is required"),
    ("role mapping unknown key", {"policy.role_mappings": [{"provider": "corp", "group": "g", "role": "admin",
                                                            "team": "x"}]},
     "policy.role_mappings[0].team: unknown option (got 'x')"),
    ("role mapping empty group", {"policy.role_mappings": [{"provider": "corp", "group": "", "role": "admin"}]},
     "policy.role_mappings[0].group: must not be empty (got '')"),
    ("role mappings not a list", {"policy.role_mappings": "corp"}, "policy.role_mappings: must be a list (got 'corp')"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edits", "expected"),
    [(edits, expected) for _, edits, expected in SINGLE_MISTAKES],
    ids=[c[0] for c in SINGLE_MISTAKES],
)
def test_each_mistake_gives_its_exact_line(tmp_path: Path, edits: dict[str, object], expected: str) -> None:
    assert problems_for(tmp_path, edits) == [expected]


def test_portal_id_with_dots_is_a_quoted_key(tmp_path: Path) -> None:
    # `edited` splits on dots, so build this one by hand.
    data = copy.deepcopy(BASE)
    data["portals"] = {"wiki.example.com": {**BASE["portals"]["wiki"], "colour": "blue", "allowed_providers": ["x"]}}
    assert check_config(write(tmp_path, data)) == [
        "portals.\"wiki.example.com\".colour: unknown option (got 'blue')",
        "portals.\"wiki.example.com\".allowed_providers: unknown provider (got 'x')",
    ]


SECTIONS = ["server", "store", "signing", "sessions", "tokens", "policy", "providers.corp", "portals.wiki"]


@pytest.mark.parametrize("section", ["", *SECTIONS])
def test_unknown_keys_at_every_level(tmp_path: Path, section: str) -> None:
    key = f"{section}.colour" if section else "colour"
    assert problems_for(tmp_path, {key: "blue"}) == [f"{key}: unknown option (got 'blue')"]


def test_unknown_section_shows_no_table_contents(tmp_path: Path) -> None:
    assert problems_for(tmp_path, {"colours": {"shade": "blue"}}) == ["colours: unknown option (got a table)"]


def test_dev_mode_allows_http_issuers(tmp_path: Path) -> None:
    edits = {
        "server.dev_mode": True,
        "server.issuer": "http://localhost:8000",
        "providers.corp.issuer": "http://localhost:9000",
    }
    config = load_config(write(tmp_path, edited(edits)), environ={})
    assert config.server.issuer == "http://localhost:8000"


def test_valid_file_loads(tmp_path: Path) -> None:
    config = load_config(str(write(tmp_path, BASE)), environ={})
    assert config.server.secret_key.get_secret_value() == SERVER_SECRET
    assert config.portals["wiki"].allowed_providers is None
    assert check_config(write(tmp_path, BASE)) == []


# --- several mistakes at once ----------------------------------------------------------------------------


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


# --- the file itself -------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    assert check_config(path) == [f"{path}: cannot read file (No such file or directory)"]


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert check_config(tmp_path) == [f"{tmp_path}: cannot read file (Is a directory)"]


def test_toml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = 1\n")
    assert check_config(path) == [
        f"{path}: TOML syntax error: Expected ']' at the end of a table declaration (at line 1, column 8)"
    ]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[server]\nhost = "caf\xe9"\n')
    assert check_config(path) == [f"{path}: not UTF-8 text (invalid continuation byte at byte 20)"]


# --- secrets from the environment and from files ---------------------------------------------------------


def test_secrets_from_env_and_file(tmp_path: Path) -> None:
    (tmp_path / "wiki.secret").write_text(WIKI_SECRET + "\n", encoding="utf-8")
    absolute = tmp_path / "corp.secret"
    absolute.write_text(CORP_SECRET + "\r\n", encoding="utf-8")
    edits = {
        "server.secret_key": {"env": "IDP_TEST_SECRET_KEY"},
        "providers.corp.client_secret": {"file": str(absolute)},
        "portals.wiki.client_secret": {"file": "wiki.secret"},  # relative to the config file
    }
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    (config_dir / "wiki.secret").write_text(WIKI_SECRET + "\n", encoding="utf-8")
    config = load_config(write(config_dir, edited(edits)), environ={"IDP_TEST_SECRET_KEY": SERVER_SECRET})
    assert config.server.secret_key.get_secret_value() == SERVER_SECRET
    assert config.providers["corp"].client_secret is not None
    assert config.providers["corp"].client_secret.get_secret_value() == CORP_SECRET
    assert config.portals["wiki"].client_secret is not None
    assert config.portals["wiki"].client_secret.get_secret_value() == WIKI_SECRET


def test_env_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_TEST_SECRET_KEY", SERVER_SECRET)
    path = write(tmp_path, edited({"server.secret_key": {"env": "IDP_TEST_SECRET_KEY"}}))
    assert load_config(path).server.secret_key.get_secret_value() == SERVER_SECRET


SECRET_MISTAKES: list[tuple[str, dict[str, object], str]] = [
    (
        "missing env var",
        {"server.secret_key": {"env": "IDP_TEST_MISSING"}},
        "server.secret_key: environment variable 'IDP_TEST_MISSING' is not set",
    ),
    (
        "empty env var",
        {"providers.corp.client_secret": {"env": "IDP_TEST_EMPTY"}},
        "providers.corp.client_secret: environment variable 'IDP_TEST_EMPTY' is empty",
    ),
    (
        "missing file",
        {"portals.wiki.client_secret": {"file": "missing.secret"}},
        "portals.wiki.client_secret: cannot read secret file '{dir}/missing.secret' (No such file or directory)",
    ),
    (
        "empty file",
        {"portals.wiki.client_secret": {"file": "empty.secret"}},
        "portals.wiki.client_secret: secret file '{dir}/empty.secret' is empty",
    ),
    (
        "both env and file",
        {"server.secret_key": {"env": "X", "file": "y"}},
        "server.secret_key: must be a string, { env = \"VAR\" } or { file = \"/path\" } (got keys 'env', 'file')",
    ),
    (
        "unknown source",
        {"server.secret_key": {"value": SERVER_SECRET}},
        'server.secret_key: must be a string, { env = "VAR" } or { file = "/path" } (got keys \'value\')',
    ),
    (
        "empty env name",
        {"server.secret_key": {"env": ""}},
        "server.secret_key.env: must be a non-empty string (got '')",
    ),
]


@pytest.mark.parametrize(
    ("edits", "expected"),
    [(edits, expected) for _, edits, expected in SECRET_MISTAKES],
    ids=[c[0] for c in SECRET_MISTAKES],
)
def test_secret_mistakes(tmp_path: Path, edits: dict[str, object], expected: str) -> None:
    (tmp_path / "empty.secret").write_text("\n", encoding="utf-8")
    assert problems_for(tmp_path, edits, environ={"IDP_TEST_EMPTY": ""}) == [expected.replace("{dir}", str(tmp_path))]


def test_secret_problems_sit_with_the_other_lines(tmp_path: Path) -> None:
    edits = {"server.secret_key": {"env": "IDP_TEST_MISSING"}, "server.port": 0, "server.dev_mode": 1.5}
    assert problems_for(tmp_path, edits) == [
        "server.port: must be between 1 and 65535 (got '0')",
        "server.dev_mode: must be true or false (got '1.5')",
        "server.secret_key: environment variable 'IDP_TEST_MISSING' is not set",
    ]


def test_a_secret_never_appears_in_any_error_output(tmp_path: Path) -> None:
    short_secret = "hunter2-hunter2-hunter2"  # too short for secret_key, so it fails validation
    edits: dict[str, object] = {
        "server.secret_key": {"env": "IDP_TEST_SECRET_KEY"},
        "server.client_secert": CORP_SECRET,  # a typo'd secret option
        "server.api_token": WIKI_SECRET,
        "providers.corp.client_secret": 424242424242,
        "portals.wiki.client_secret": [WIKI_SECRET],
        "portals.wiki.password": WIKI_SECRET,
        "server.port": 0,
    }
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, edited(edits)), environ={"IDP_TEST_SECRET_KEY": short_secret})
    output = "\n".join([str(caught.value), repr(caught.value), *caught.value.problems])
    for secret in (short_secret, CORP_SECRET, WIKI_SECRET, "424242424242"):
        assert secret not in output
    assert "server.secret_key: must be at least 32 characters (got '***')" in caught.value.problems
    assert "server.client_secert: unknown option (got '***')" in caught.value.problems
    assert len(caught.value.problems) == 7


# --- config.example.toml ---------------------------------------------------------------------------------


def example_environ() -> dict[str, str]:
    """A value for every `{ env = ... }` the example references."""

    def env_tables(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            if set(node) == {"env"}:
                yield node["env"]
            for value in node.values():
                yield from env_tables(value)

    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    return {name: f"example-secret-for-{name}".ljust(40, "x") for name in env_tables(data)}


def test_example_loads() -> None:
    environ = example_environ()
    assert environ, "the example shows at least one secret in the { env = ... } form"
    config = load_config(EXAMPLE, environ=environ)
    assert config.server.dev_mode is False
    assert config.server.issuer.startswith("https://")
    assert config.providers["corp"].kind == "oidc"
    assert all(getattr(p, "issuer", "https://").startswith("https://") for p in config.providers.values())
    assert {p.kind for p in config.providers.values()} == {"oidc", "entra", "google", "okta"}
    assert config.portals


def test_example_without_its_env_vars_names_them() -> None:
    assert check_config(EXAMPLE, environ={}) == [
        f"{key}: environment variable {name!r} is not set"
        for key, name in [
            ("server.secret_key", "IDP_BRIDGE_SECRET_KEY"),
            ("providers.corp.client_secret", "IDP_BRIDGE_CORP_CLIENT_SECRET"),
            ("providers.entra.client_secret", "IDP_BRIDGE_ENTRA_CLIENT_SECRET"),
            ("providers.entra-contoso.client_certificate.private_key", "IDP_BRIDGE_ENTRA_CERT_KEY"),
            ("providers.entra-contoso.client_certificate.public_certificate", "IDP_BRIDGE_ENTRA_CERT"),
            ("providers.google.client_secret", "IDP_BRIDGE_GOOGLE_CLIENT_SECRET"),
            ("providers.okta.client_secret", "IDP_BRIDGE_OKTA_CLIENT_SECRET"),
            ("portals.wiki.client_secret", "IDP_BRIDGE_WIKI_CLIENT_SECRET"),
            ("mfa.encryption_key", "IDP_BRIDGE_MFA_KEY"),
            ("mfa.previous_encryption_key", "IDP_BRIDGE_MFA_PREVIOUS_KEY"),
            ("mfa.email.password", "IDP_BRIDGE_SMTP_PASSWORD"),
            ("mfa.sms.auth_header", "IDP_BRIDGE_SMS_AUTH"),
        ]
    ]


def members(tp: Any) -> list[Any]:
    if get_origin(tp) is Annotated:
        return members(get_args(tp)[0])
    if get_origin(tp) in (Union, types.UnionType):
        return [m for arg in get_args(tp) for m in members(arg)]
    return [tp]


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def kind_matches(model: type[BaseModel], entry: Mapping[str, Any]) -> bool:
    """For a union of provider kinds: the entry is of this model's `kind`."""
    kind = model.model_fields.get("kind")
    if kind is None:
        return True
    return any(get_origin(t) is Literal and entry.get("kind") in get_args(t) for t in members(kind.annotation))


def example_fields(model: type[BaseModel], data: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, str, Any]]:
    """(table, key, FieldInfo) of every leaf option, recursing into sections and tables of tables; a field
    missing from `data` is reported as table '!missing'."""
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if name not in data:
            yield "!missing", path, field
            continue
        models = [tp for tp in members(field.annotation) if is_model(tp)]
        mappings = [tp for tp in members(field.annotation) if get_origin(tp) is dict]
        if models:
            yield from example_fields(models[0], data[name], path)
        elif mappings:
            value_models = [tp for tp in members(get_args(mappings[0])[1]) if is_model(tp)]
            for value_model in value_models:
                entries = {k: v for k, v in data[name].items() if kind_matches(value_model, v)}
                if not entries:
                    yield "!missing", f"{path}.* ({value_model.__name__})", field
                # Entries of one kind may show different options (a client secret in one, a certificate in
                # another, when only one is allowed): an option is missing if no entry of the kind shows it.
                missing_in: dict[str, set[str]] = {}
                for key, entry in entries.items():
                    missing_in[key] = set()
                    for table, option, info in example_fields(value_model, entry, f"{path}.{key}"):
                        if table == "!missing":
                            missing_in[key].add(option.removeprefix(f"{path}.{key}."))
                        else:
                            yield table, option, info
                for relative in sorted(set().union(*missing_in.values())):
                    # missing from an entry if it, or the table holding it, is missing there
                    if all(
                        any(relative == m or relative.startswith(m + ".") for m in ms) for ms in missing_in.values()
                    ):
                        yield "!missing", f"{path}.*.{relative} ({value_model.__name__})", field
        else:
            yield prefix, name, field


def example_comments() -> dict[tuple[str, str], str]:
    """The comment block directly above each `key = value` line, by (table, key)."""
    comments: dict[tuple[str, str], str] = {}
    table, block = "", []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped)
            continue
        if header := re.fullmatch(r"\[([^\]]+)\]", stripped):
            table = header.group(1)
        elif key := re.match(r"([A-Za-z0-9_-]+)\s*=", stripped):
            comments[(table, key.group(1))] = "\n".join(block)
        block = []
    return comments


def toml_default(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return toml_value(value)


def test_example_covers_every_option_with_a_comment_and_its_default() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    fields = list(example_fields(Config, data, ""))
    missing = [key for table, key, _ in fields if table == "!missing"]
    assert missing == [], f"config.example.toml lacks {missing}"
    comments = example_comments()
    for table, key, field in fields:
        comment = comments.get((table, key), "")
        assert comment, f"{table}.{key} has no comment line above it"
        if field.is_required():
            assert "Required" in comment, f"{table}.{key}: say it is required"
        elif field.default is None or field.default is PydanticUndefined:
            assert "Default:" in comment, f"{table}.{key}: say what happens when it is omitted"
        else:
            expected = f"Default: {toml_default(field.default)}"
            assert expected in comment, f"{table}.{key}: comment should say {expected!r}"
    assert len(fields) >= 30
