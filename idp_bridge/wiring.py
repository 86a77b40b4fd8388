"""Turning validated configuration into the running parts: each configured upstream provider built of its kind
(generic OIDC, Entra ID, Google, Okta) and identity rules; the policy itself is read by policy.source."""

from __future__ import annotations

import httpx2

from idp_bridge.clock import Clock
from idp_bridge.config.model import Config, OIDCProviderConfig, ProviderConfig
from idp_bridge.config.provider_models import (
    EntraProviderConfig,
    GoogleProviderConfig,
    IdentityRuleConfig,
    OktaProviderConfig,
)
from policies.identity_allow_list import IdentityRule
from providers.base import OIDCSettings, Provider
from providers.entra import EntraProvider, EntraSettings
from providers.google import GoogleProvider
from providers.oidc import OIDCProvider
from providers.okta import OktaProvider


def _secret(value: object) -> str | None:
    get = getattr(value, "get_secret_value", None)
    return get() if get is not None else None


def entra_settings(config: EntraProviderConfig) -> EntraSettings:
    cert = config.client_certificate
    return EntraSettings(
        client_id=config.client_id,
        display_name=config.display_name,
        tenant=config.tenant,
        allowed_tenants=config.allowed_tenants or (config.tenant,),
        client_secret=_secret(config.client_secret),
        certificate_private_key=_secret(cert.private_key) if cert else None,
        certificate_thumbprint=cert.thumbprint if cert else None,
        public_certificate=_secret(cert.public_certificate) if cert else None,
        authority_host=config.authority_host,
        scopes=config.scopes,
        request_acrs=config.mfa.request_acrs,
        clock_skew_seconds=config.clock_skew_seconds,
        timeout_seconds=config.timeout_seconds,
    )


def oidc_like_settings(config: OIDCProviderConfig | GoogleProviderConfig | OktaProviderConfig) -> OIDCSettings:
    return OIDCSettings(
        issuer=config.issuer,
        client_id=config.client_id,
        client_secret=_secret(config.client_secret),
        display_name=config.display_name,
        scopes=config.scopes,
        id_token_algorithms=config.id_token_algorithms if isinstance(config, OIDCProviderConfig) else ("RS256",),
        clock_skew_seconds=config.clock_skew_seconds,
        timeout_seconds=config.timeout_seconds,
        request_acr_values=config.mfa.request_acr_values,
        request_acrs=config.mfa.request_acrs,
    )


def build_provider(provider_id: str, config: ProviderConfig, http: httpx2.AsyncClient, clock: Clock) -> Provider:
    if isinstance(config, EntraProviderConfig):
        return EntraProvider(provider_id, entra_settings(config), http=http, clock=clock)
    if isinstance(config, GoogleProviderConfig):
        settings = oidc_like_settings(config)
        return GoogleProvider(provider_id, settings, allowed_domains=config.allowed_domains, http=http, clock=clock)
    if isinstance(config, OktaProviderConfig):
        return OktaProvider(provider_id, oidc_like_settings(config), http=http, clock=clock)
    return OIDCProvider(provider_id, oidc_like_settings(config), http=http, clock=clock)


def build_providers(config: Config, http: httpx2.AsyncClient, clock: Clock) -> dict[str, Provider]:
    return {pid: build_provider(pid, pc, http, clock) for pid, pc in config.providers.items()}


def identity_rule(config: IdentityRuleConfig) -> IdentityRule:
    tenants = config.tenants if config.tenants is not None else config.domains

    def as_set(values: tuple[str, ...] | None) -> frozenset[str] | None:
        return frozenset(values) if values is not None else None

    return IdentityRule(tenants=as_set(tenants), groups=as_set(config.groups), roles=as_set(config.roles))
