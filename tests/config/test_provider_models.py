"""Config of the Entra, Google and Okta provider kinds and of identity rules: exact problem lines."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from idp_bridge.config.loader import check_config, load_config
from idp_bridge.config.provider_models import EntraProviderConfig, GoogleProviderConfig, OktaProviderConfig
from tests.config.entra_credentials import ec_key, encrypted_key, other_certificate, rsa_pair
from tests.config.loader_harness import BASE, DELETE, write

T1 = "11111111-2222-4333-8444-555555555555"
T2 = "66666666-7777-4888-8999-000000000000"
ENTRA_SECRET = "entra-client-secret-value-123"
KEY_PEM, CERT_PEM = rsa_pair()

PROVIDERS: dict[str, Any] = {
    "ms": {"kind": "entra", "display_name": "Microsoft", "tenant": "organizations", "client_id": "app",
           "client_secret": ENTRA_SECRET, "allowed_tenants": [T1]},
    "gw": {"kind": "google", "display_name": "Google", "client_id": "g", "client_secret": "google-secret-123",
           "allowed_domains": ["example.com"]},
    "ok": {"kind": "okta", "display_name": "Okta", "issuer": "https://acme.okta.com/oauth2/default",
           "client_id": "o", "client_secret": "okta-secret-123"},
}  # fmt: skip


def data(edits: dict[str, object] | None = None) -> dict[str, Any]:
    result = copy.deepcopy(BASE)
    result["providers"].update(copy.deepcopy(PROVIDERS))
    result["policy"]["allowed_providers"] = ["corp", "ms", "gw", "ok"]
    for path, value in (edits or {}).items():
        *parents, last = path.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        if value is DELETE:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
    return result


def problems(tmp_path: Path, edits: dict[str, object]) -> list[str]:
    return check_config(write(tmp_path, data(edits)), environ={})


def test_all_three_kinds_load(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, data()), environ={})
    assert isinstance(config.providers["ms"], EntraProviderConfig)
    assert isinstance(config.providers["gw"], GoogleProviderConfig)
    assert isinstance(config.providers["ok"], OktaProviderConfig)
    assert config.providers["ms"].mfa.request_acrs == ()


MISTAKES: list[tuple[str, dict[str, object], str]] = [
    ("entra tenant", {"providers.ms.tenant": "contoso.com"},
     'providers.ms.tenant: must be "organizations", "common" or a tenant id (a lowercase GUID) '
     "(got 'contoso.com')"),
    ("multi-tenant without allow-list", {"providers.ms.allowed_tenants": DELETE},
     'providers.ms: allowed_tenants: must list the tenant ids allowed to sign in when tenant = "organizations" '
     "(an empty list would allow every Microsoft tenant)"),
    ("single tenant allowing another", {"providers.ms.tenant": T1, "providers.ms.allowed_tenants": [T2]},
     "providers.ms: allowed_tenants: a single-tenant app only signs in users of its own tenant"),
    ("tenant id not a GUID", {"providers.ms.allowed_tenants": ["Contoso"]},
     "providers.ms.allowed_tenants: 'Contoso' is not a tenant id (a lowercase GUID) (got ['Contoso'])"),
    ("msal reserved scope", {"providers.ms.scopes": ["email", "openid"]},
     "providers.ms.scopes: must not include 'openid': msal adds openid and profile itself (got ['email', 'openid'])"),
    ("authority with a path", {"providers.ms.authority_host": "https://login.microsoftonline.com/common"},
     "providers.ms.authority_host: must be an https URL without a path "
     "(got 'https://login.microsoftonline.com/common')"),
    ("no credential", {"providers.ms.client_secret": DELETE},
     "providers.ms: give exactly one of client_secret and client_certificate"),
    ("two credentials", {"providers.ms.client_certificate": {"private_key": KEY_PEM, "thumbprint": "A" * 40}},
     "providers.ms: give exactly one of client_secret and client_certificate"),
    ("bad thumbprint", {"providers.ms.client_secret": DELETE,
                        "providers.ms.client_certificate": {"private_key": KEY_PEM, "thumbprint": "xyz"}},
     "providers.ms.client_certificate.thumbprint: must be 40 hexadecimal characters (a SHA-1 thumbprint) (got 'xyz')"),
    ("entra acr_values", {"providers.ms.mfa": {"request_acr_values": ["urn:x"]}},
     "providers.ms.mfa: request_acr_values: Entra ID ignores acr_values; request auth contexts (request_acrs)"),
    ("entra auth context id", {"providers.ms.mfa": {"request_acrs": ["C1"]}},
     "providers.ms.mfa: auth context ids are c1 to c99 (got 'C1')"),
    ("google without domains", {"providers.gw.allowed_domains": []},
     "providers.gw.allowed_domains: must name at least one Workspace domain (got [])"),
    ("google domain", {"providers.gw.allowed_domains": ["Example.com"]},
     "providers.gw.allowed_domains: 'Example.com' is not a lowercase domain name (got ['Example.com'])"),
    ("google mfa evidence", {"providers.gw.mfa": {"request_acr_values": ["x"]}},
     "providers.gw.mfa: Google sends no MFA evidence: leave request_* and trusted_acr(s) empty"),
    ("google secret required", {"providers.gw.client_secret": DELETE}, "providers.gw.client_secret: is required"),
    ("okta issuer path", {"providers.ok.issuer": "https://acme.okta.com/oauth2/default/v1"},
     "providers.ok.issuer: must be the org URL or an authorization server URL ending in /oauth2/ID "
     "(got 'https://acme.okta.com/oauth2/default/v1')"),
    ("okta acr value", {"providers.ok.mfa": {"request_acr_values": ["urn:okta:loa:3fa"]}},
     "providers.ok.mfa: request_acr_values: Okta knows urn:okta:loa:1fa:any, urn:okta:loa:1fa:pwd, "
     "urn:okta:loa:2fa:any, urn:okta:loa:2fa:any:ifpossible, phr, phrh (got 'urn:okta:loa:3fa')"),
    ("okta http issuer", {"providers.ok.issuer": "http://acme.okta.com"},
     "providers.ok.issuer: must use https unless server.dev_mode = true (got 'http://acme.okta.com')"),
    ("unknown option of a kind", {"providers.gw.tenant": "organizations"},
     "providers.gw.tenant: unknown option (got 'organizations')"),
    # identity rules
    ("rule for unknown provider", {"policy.identity_rules": {"nope": {"groups": ["a"]}}},
     "policy.identity_rules: unknown provider (got 'nope')"),
    ("rule with nothing", {"policy.identity_rules": {"ms": {}}},
     "policy.identity_rules.ms: set at least one of tenants, domains, groups, roles"),
    ("rule with an empty list", {"policy.identity_rules": {"ms": {"groups": []}}},
     "policy.identity_rules.ms: an empty list would allow nobody: remove the rule or name someone"),
    ("tenants on google", {"portals.wiki.identity_rules": {"gw": {"tenants": [T1]}}},
     "portals.wiki.identity_rules.gw.tenants: not available for a provider of kind 'google' (got ['"
     + T1 + "'])"),
    ("tenant outside provider's own list", {"policy.identity_rules": {"ms": {"tenants": [T2]}}},
     f"policy.identity_rules.ms.tenants: not allowed by the provider itself (got '{T2}')"),
    ("domain outside provider's own list", {"portals.wiki.identity_rules": {"gw": {"domains": ["evil.example"]}}},
     "portals.wiki.identity_rules.gw.domains: not allowed by the provider itself (got 'evil.example')"),
]  # fmt: skip


@pytest.mark.parametrize(("edits", "expected"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_each_mistake_gives_its_exact_line(tmp_path: Path, edits: dict[str, object], expected: str) -> None:
    assert problems(tmp_path, edits) == [expected]


def test_certificate_key_is_masked_and_read_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "entra.key").write_text(KEY_PEM + "\n", encoding="utf-8")
    cert = {"private_key": {"file": "entra.key"}, "thumbprint": "A" * 40}
    edits = {"providers.ms.client_secret": DELETE, "providers.ms.client_certificate": cert}
    config = load_config(write(tmp_path, data(edits)), environ={})
    entra = config.providers["ms"]
    assert isinstance(entra, EntraProviderConfig) and entra.client_certificate is not None
    assert entra.client_certificate.private_key.get_secret_value() == KEY_PEM.rstrip("\n")  # the file's newline dropped
    bad = {**edits, "providers.ms.client_certificate": {"private_key": 12345678, "thumbprint": "A" * 40}}
    assert problems(tmp_path, bad) == ["providers.ms.client_certificate.private_key: must be a string (got '***')"]


def test_missing_secret_is_reported_once(tmp_path: Path) -> None:
    assert problems(tmp_path, {"providers.ms.client_secret": {"env": "IDP_TEST_NOPE"}}) == [
        "providers.ms.client_secret: environment variable 'IDP_TEST_NOPE' is not set"
    ]


_CERT = "providers.ms.client_certificate"
KEY_MISTAKES: list[tuple[str, dict[str, object], str]] = [
    ("junk key", {"private_key": "-----BEGIN PRIVATE KEY-----\nnot-really\n-----END PRIVATE KEY-----",
                  "thumbprint": "A" * 40},
     f"{_CERT}.private_key: is not a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)"
     " (got '***')"),
    ("encrypted key", {"private_key": encrypted_key(), "thumbprint": "A" * 40},
     f"{_CERT}.private_key: is an encrypted private key: give it unencrypted (from a secret store or a 0600 file)"
     " (got '***')"),
    ("ec key", {"private_key": ec_key(), "thumbprint": "A" * 40},
     f"{_CERT}.private_key: must be an RSA key (Entra certificate credentials are RSA) (got '***')"),
    ("junk certificate", {"private_key": KEY_PEM, "public_certificate": "-----BEGIN CERTIFICATE-----\nx\n"},
     f"{_CERT}.public_certificate: is not a PEM certificate (-----BEGIN CERTIFICATE-----) (got '***')"),
    ("certificate of another key", {"private_key": KEY_PEM, "public_certificate": other_certificate()},
     f"{_CERT}: public_certificate does not belong to private_key (Entra would refuse every login)"),
]  # fmt: skip


@pytest.mark.parametrize(("certificate", "expected"), [m[1:] for m in KEY_MISTAKES], ids=[m[0] for m in KEY_MISTAKES])
def test_entra_key_material_is_loaded_and_checked_offline(
    tmp_path: Path, certificate: dict[str, object], expected: str
) -> None:
    edits = {"providers.ms.client_secret": DELETE, _CERT: certificate}
    assert problems(tmp_path, edits) == [expected]


def test_a_matching_key_and_certificate_load(tmp_path: Path) -> None:
    edits = {"providers.ms.client_secret": DELETE, _CERT: {"private_key": KEY_PEM, "public_certificate": CERT_PEM}}
    entra = load_config(write(tmp_path, data(edits)), environ={}).providers["ms"]
    assert isinstance(entra, EntraProviderConfig) and entra.client_certificate is not None
