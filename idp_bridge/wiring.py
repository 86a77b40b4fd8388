"""Turning validated configuration into the running parts: providers (the policy: admin.policy_source)."""

from __future__ import annotations

import httpx2

from idp_bridge.clock import Clock
from idp_bridge.config.model import Config, OIDCProviderConfig
from idp_bridge.provider_factory import build_provider
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

