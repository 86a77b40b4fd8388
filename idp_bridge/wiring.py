"""Turning validated configuration into the running parts: providers and allow-list rules."""

from __future__ import annotations

import httpx2

from idp_bridge.clock import Clock
from idp_bridge.config.model import Config, OIDCProviderConfig
from idp_bridge.config.session_model import FORWARD_AUTH_CLIENT_ID
from idp_bridge.provider_factory import build_provider, identity_rule
from policies.allow_list import AllowListRules
from policies.identity_allow_list import IdentityRules
from providers.base import OIDCSettings, Provider


def oidc_settings(config: OIDCProviderConfig) -> OIDCSettings:
    return OIDCSettings(
        issuer=config.issuer,
        client_id=config.client_id,
        client_secret=config.client_secret.get_secret_value() if config.client_secret else None,
        display_name=config.display_name,
        scopes=config.scopes,
        id_token_algorithms=config.id_token_algorithms,
        clock_skew_seconds=config.clock_skew_seconds,
        timeout_seconds=config.timeout_seconds,
        request_acr_values=config.mfa.request_acr_values,
        request_acrs=config.mfa.request_acrs,
    )


def build_providers(config: Config, http: httpx2.AsyncClient, clock: Clock) -> dict[str, Provider]:
    return {pid: build_provider(pid, pc, http, clock) for pid, pc in config.providers.items()}


def allow_list_rules(config: Config) -> AllowListRules:
    portal_providers = {
        client_id: frozenset(p.allowed_providers) if p.allowed_providers is not None else None
        for client_id, p in config.portals.items()
    }
    fa = config.forward_auth
    if fa.protected_hosts:  # forward-auth sign-ins are a pseudo-portal of their own
        portal_providers[FORWARD_AUTH_CLIENT_ID] = (
            frozenset(fa.allowed_providers) if fa.allowed_providers is not None else None
        )
    return AllowListRules(
        allowed_providers=tuple(config.policy.allowed_providers),
        portal_providers=portal_providers,
        identity=IdentityRules(
            by_provider={pid: identity_rule(rule) for pid, rule in config.policy.identity_rules.items()},
            by_portal={
                (client_id, pid): identity_rule(rule)
                for client_id, portal in config.portals.items()
                for pid, rule in portal.identity_rules.items()
            },
        ),
    )
