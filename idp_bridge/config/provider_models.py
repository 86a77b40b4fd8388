"""Configuration of upstream providers: the MFA trust every kind has, the corporate kinds (Entra ID, Google Workspace,
Okta) and identity rules.

`ProviderConfig` in `idp_bridge.config.model` is the union of these and the generic OIDC kind, chosen by
`kind`. Each kind carries the same `[providers.X.mfa]` table (`MFATrustConfig`). This module imports only
`config.section`; `config.model` imports it, never the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, StrictBool, field_validator, model_validator

from idp_bridge.config.key_material import certificate_problem, pair_problem, private_key_problem
from idp_bridge.config.section import Section, key_path

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_AUTH_CONTEXT = re.compile(r"^c([1-9]|[1-9][0-9])$")
_MSAL_RESERVED = ("openid", "profile", "offline_access")
OKTA_ACR_VALUES = (
    "urn:okta:loa:1fa:any",
    "urn:okta:loa:1fa:pwd",
    "urn:okta:loa:2fa:any",
    "urn:okta:loa:2fa:any:ifpossible",
    "phr",
    "phrh",
)
Skew = Annotated[int, Field(ge=0, le=300)]
Timeout = Annotated[float, Field(gt=0, le=60)]


def _guids(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not GUID.fullmatch(value):
            raise ValueError(f"{value!r} is not a tenant id (a lowercase GUID)")
    return values


def _https_base(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ValueError("must be an https URL without a path")
    return value.rstrip("/")


class MFATrustConfig(Section):
    """When an upstream login counts as multi-factor (read by policies.mfa_trust). Unset lists take the defaults
    for the provider's kind (generic OIDC: `amr` containing "mfa"; never an `acr` that was not requested)."""

    trusted_amr: tuple[str, ...] | None = Field(
        default=None, description="amr values proving MFA; default for kind 'oidc': ['mfa']."
    )
    trusted_acr: tuple[str, ...] | None = Field(
        default=None, description="acr values proving MFA, trusted only when the bridge requested them."
    )
    trusted_acrs: tuple[str, ...] = Field(
        default=(), description="Entra auth-context ids (c1..c99) bound to an MFA Conditional Access policy."
    )
    request_acr_values: tuple[str, ...] = Field(default=(), description="acr_values sent upstream on every login.")
    request_acrs: tuple[str, ...] = Field(default=(), description="Entra auth contexts requested (claims=acrs).")
    max_auth_age_seconds: Annotated[int, Field(ge=0, le=86400)] = Field(
        default=3600, description="Upstream auth_time must be at most this old for its MFA to count."
    )
    accept_missing_auth_time: StrictBool = Field(
        default=False, description="Count MFA evidence from a token without auth_time as fresh."
    )


class EntraCertificateConfig(Section):
    """A certificate credential registered with the Entra app (instead of a client secret)."""

    private_key: SecretStr = Field(description="PEM private key of the certificate.")
    thumbprint: str | None = Field(default=None, description="SHA-1 thumbprint (hex) shown in the Entra portal.")
    public_certificate: SecretStr | None = Field(
        default=None, description="PEM certificate; msal then sends its SHA-256 thumbprint (preferred)."
    )

    @field_validator("thumbprint")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9A-Fa-f]{40}", value):
            raise ValueError("must be 40 hexadecimal characters (a SHA-1 thumbprint)")
        return value

    @field_validator("private_key")
    @classmethod
    def _usable_key(cls, value: SecretStr) -> SecretStr:
        problem = private_key_problem(value.get_secret_value())
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("public_certificate")
    @classmethod
    def _certificate(cls, value: SecretStr | None) -> SecretStr | None:
        problem = None if value is None else certificate_problem(value.get_secret_value())
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _one_thumbprint(self) -> EntraCertificateConfig:
        if self.thumbprint is None and self.public_certificate is None:
            raise ValueError("give thumbprint or public_certificate (or both)")
        if self.public_certificate is not None:
            problem = pair_problem(self.private_key.get_secret_value(), self.public_certificate.get_secret_value())
            if problem:
                raise ValueError(problem)
        return self


class EntraProviderConfig(Section):
    """Microsoft Entra ID through msal."""

    kind: Literal["entra"]
    display_name: str
    tenant: str = Field(description='"organizations", "common" or the tenant id of a single-tenant app.')
    client_id: str
    client_secret: SecretStr | None = None
    client_certificate: EntraCertificateConfig | None = None
    allowed_tenants: tuple[str, ...] = ()
    authority_host: str = "https://login.microsoftonline.com"
    scopes: tuple[str, ...] = ("email",)
    clock_skew_seconds: Skew = 60
    timeout_seconds: Timeout = 10.0
    mfa: MFATrustConfig = MFATrustConfig()

    @field_validator("tenant")
    @classmethod
    def _tenant(cls, value: str) -> str:
        if value not in ("organizations", "common") and not GUID.fullmatch(value):
            raise ValueError('must be "organizations", "common" or a tenant id (a lowercase GUID)')
        return value

    @field_validator("allowed_tenants")
    @classmethod
    def _allowed(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _guids(value)

    @field_validator("authority_host")
    @classmethod
    def _host(cls, value: str) -> str:
        return _https_base(value)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        reserved = [scope for scope in value if scope in _MSAL_RESERVED]
        if reserved:
            raise ValueError(f"must not include {', '.join(map(repr, reserved))}: msal adds openid and profile itself")
        return value

    @field_validator("mfa")
    @classmethod
    def _entra_mfa(cls, value: MFATrustConfig) -> MFATrustConfig:
        if value.request_acr_values:
            raise ValueError("request_acr_values: Entra ID ignores acr_values; request auth contexts (request_acrs)")
        for context in (*value.request_acrs, *value.trusted_acrs):
            if not _AUTH_CONTEXT.fullmatch(context):
                raise ValueError(f"auth context ids are c1 to c99 (got {context!r})")
        return value

    @model_validator(mode="after")
    def _credential_and_tenants(self) -> EntraProviderConfig:
        if (self.client_secret is None) == (self.client_certificate is None):
            raise ValueError("give exactly one of client_secret and client_certificate")
        if self.tenant in ("organizations", "common") and not self.allowed_tenants:
            raise ValueError(
                f'allowed_tenants: must list the tenant ids allowed to sign in when tenant = "{self.tenant}" '
                "(an empty list would allow every Microsoft tenant)"
            )
        if GUID.fullmatch(self.tenant) and set(self.allowed_tenants) - {self.tenant}:
            raise ValueError("allowed_tenants: a single-tenant app only signs in users of its own tenant")
        return self


class GoogleProviderConfig(Section):
    """Google Workspace."""

    kind: Literal["google"]
    display_name: str
    client_id: str
    client_secret: SecretStr
    allowed_domains: tuple[str, ...]
    issuer: str = "https://accounts.google.com"
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    clock_skew_seconds: Skew = 60
    timeout_seconds: Timeout = 10.0
    mfa: MFATrustConfig = MFATrustConfig()

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must name at least one Workspace domain")
        for domain in value:
            if not _DOMAIN.fullmatch(domain):
                raise ValueError(f"{domain!r} is not a lowercase domain name")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return _https_base(value)

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in value or "email" not in value:
            raise ValueError("must include 'openid' and 'email' (email_verified is required)")
        return value

    @field_validator("mfa")
    @classmethod
    def _no_evidence(cls, value: MFATrustConfig) -> MFATrustConfig:
        if value.request_acr_values or value.request_acrs or value.trusted_acrs or value.trusted_acr:
            raise ValueError("Google sends no MFA evidence: leave request_* and trusted_acr(s) empty")
        return value


class OktaProviderConfig(Section):
    """Okta: an org or custom authorization server, named by its exact issuer."""

    kind: Literal["okta"]
    display_name: str
    issuer: str = Field(description="https://ORG.okta.com or https://ORG.okta.com/oauth2/ID, exactly.")
    client_id: str
    client_secret: SecretStr | None = None
    scopes: tuple[str, ...] = ("openid", "email", "profile", "groups")
    clock_skew_seconds: Skew = 60
    timeout_seconds: Timeout = 10.0
    mfa: MFATrustConfig = MFATrustConfig()

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or value.endswith("/"):
            raise ValueError("must be an absolute https URL without a trailing slash")
        if parts.path and not re.fullmatch(r"/oauth2/[A-Za-z0-9]+", parts.path):
            raise ValueError("must be the org URL or an authorization server URL ending in /oauth2/ID")
        return value

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in value:
            raise ValueError("must include 'openid'")
        return value

    @field_validator("mfa")
    @classmethod
    def _okta_acr(cls, value: MFATrustConfig) -> MFATrustConfig:
        for acr in value.request_acr_values:
            if acr not in OKTA_ACR_VALUES:
                raise ValueError(f"request_acr_values: Okta knows {', '.join(OKTA_ACR_VALUES)} (got {acr!r})")
        if value.request_acrs or value.trusted_acrs:
            raise ValueError("request_acrs and trusted_acrs are Entra ID auth contexts; Okta uses acr_values")
        return value


class IdentityRuleConfig(Section):
    """Which accounts of one provider may sign in (globally or to one portal). Every list set must match."""

    tenants: tuple[str, ...] | None = Field(default=None, description="Entra tenant ids.")
    domains: tuple[str, ...] | None = Field(default=None, description="Google Workspace domains.")
    groups: tuple[str, ...] | None = Field(default=None, description="At least one of these groups.")
    roles: tuple[str, ...] | None = Field(default=None, description="At least one of these Entra app roles.")

    @model_validator(mode="after")
    def _not_empty(self) -> IdentityRuleConfig:
        fields = (self.tenants, self.domains, self.groups, self.roles)
        if all(value is None for value in fields):
            raise ValueError("set at least one of tenants, domains, groups, roles")
        if any(value == () for value in fields):
            raise ValueError("an empty list would allow nobody: remove the rule or name someone")
        return self


def identity_rule_problems(data: Mapping[str, Any]) -> list[str]:
    """Cross-field problems of [policy.identity_rules.ID] and [portals.X.identity_rules.ID] on plain data: the
    provider must exist, each list must suit its kind, and tenants/domains may only narrow the provider's own."""
    providers = data.get("providers") if isinstance(data.get("providers"), Mapping) else {}
    places: list[tuple[tuple[str, ...], object]] = [
        (("policy", "identity_rules"), _get(data, "policy", "identity_rules"))
    ]
    portals = data.get("portals")
    if isinstance(portals, Mapping):
        places += [(("portals", cid, "identity_rules"), _get(portals, cid, "identity_rules")) for cid in portals]
    problems: list[str] = []
    for where, rules in places:
        if not isinstance(rules, Mapping):
            continue
        for pid, rule in rules.items():
            provider = providers.get(pid) if isinstance(providers, Mapping) else None
            if not isinstance(provider, Mapping):
                problems.append(f"{key_path(*where)}: unknown provider (got {pid!r})")
                continue
            if isinstance(rule, Mapping):
                problems += _rule_problems(key_path(*where, pid), rule, provider)
    return problems


def _rule_problems(key: str, rule: Mapping[str, Any], provider: Mapping[str, Any]) -> list[str]:
    kind = provider.get("kind")
    fits = {
        "tenants": kind == "entra",
        "domains": kind == "google",
        "roles": kind == "entra",
        "groups": kind != "google",
    }
    problems = [
        f"{key}.{name}: not available for a provider of kind {kind!r} (got {list(rule[name])!r})"
        for name, ok in fits.items()
        if not ok and isinstance(rule.get(name), list | tuple)
    ]
    own = {"tenants": _own_tenants(provider), "domains": provider.get("allowed_domains")}
    for name, allowed in own.items():
        wanted = rule.get(name)
        if fits[name] and isinstance(wanted, list | tuple) and isinstance(allowed, list | tuple):
            for value in wanted:
                if value not in allowed:
                    problems.append(f"{key}.{name}: not allowed by the provider itself (got {value!r})")
    return problems


def _own_tenants(provider: Mapping[str, Any]) -> object:
    tenant, allowed = provider.get("tenant"), provider.get("allowed_tenants")
    if isinstance(tenant, str) and GUID.fullmatch(tenant) and not allowed:
        return [tenant]
    return allowed


def _get(node: object, *path: str) -> object:
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


