"""Tests for idp_bridge/config/loader.py: one mistake gives one exact line; unknown options; valid files load."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from idp_bridge.config.loader import check_config, load_config
from tests.config.loader_harness import BASE, DELETE, EXTRA_PROVIDER, SERVER_SECRET, edited, problems_for, write

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
    # booleans are booleans: what pydantic would read as a flag is a mistake in TOML
    ("bool from yes", {"server.dev_mode": "yes"}, "server.dev_mode: must be true or false (got 'yes')"),
    ("bool from 1", {"server.dev_mode": 1}, "server.dev_mode: must be true or false (got '1')"),
    ("bool from 'false'", {"mfa.required": "false"}, "mfa.required: must be true or false (got 'false')"),
    ("optional bool from 0", {"portals.wiki.require_mfa": 0},
     "portals.wiki.require_mfa: must be true or false (got '0')"),
    ("bool in a list-of-tables section", {"portals.wiki.allow_refresh_tokens": "on"},
     "portals.wiki.allow_refresh_tokens: must be true or false (got 'on')"),
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
    ("hsts max-age too long", {"server.hsts_max_age_seconds": 63072001},
     "server.hsts_max_age_seconds: must be between 0 and 63072000 (got '63072001')"),
    ("host cookie with a domain", {"sessions.cookie_name": "__Host-sso", "sessions.cookie_domain": "example.com"},
     "sessions: cookie_name '__Host-sso' cannot be used with cookie_domain (a __Host- cookie has no Domain; leave "
     "the prefix to the bridge)"),
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
    ("trusted proxy with host bits", {"server.trusted_proxies": ["10.0.0.0/8", "10.0.0.1/8"]},
     "server.trusted_proxies[1]: must be a CIDR like '10.0.0.0/8' (or one address) with no host bits set "
     "(got '10.0.0.1/8')"),
    ("trusted proxy a name", {"server.trusted_proxies": ["nginx"]},
     "server.trusted_proxies[0]: must be a CIDR like '10.0.0.0/8' (or one address) with no host bits set "
     "(got 'nginx')"),
    ("log sample rate", {"logging.forward_auth_success_sample_rate": 2},
     "logging.forward_auth_success_sample_rate: must be between 0 and 1 (got '2')"),
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
