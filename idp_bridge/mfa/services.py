"""The MFA parts the endpoints share, built once from the configuration by the app factory (`app.state.mfa`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx2
from starlette.requests import Request

from idp_bridge.config.mfa_model import MFAConfig
from idp_bridge.config.model import Config
from idp_bridge.config.provider_models import MFATrustConfig
from idp_bridge.mfa.cookies import DEVICE_COOKIE, PENDING_COOKIE, SignedCookie
from idp_bridge.mfa.secret_box import SecretBox
from policies.mfa_attempts import AttemptRules
from policies.mfa_requirement import RequirementRules
from policies.mfa_trust import MFATrustRules, default_trust_rules, trust_rules
from providers.base import Identity


@dataclass(frozen=True)
class MFAServices:
    config: MFAConfig
    box: SecretBox
    requirement: RequirementRules
    trust: Mapping[str, MFATrustRules]
    attempts: AttemptRules
    http: httpx2.AsyncClient
    pending_cookie: SignedCookie
    device_cookie: SignedCookie

    def trust_for(self, identity: Identity) -> MFATrustRules:
        """The configured rules of the identity's provider, else the defaults of its kind."""
        return self.trust.get(identity.provider_id) or default_trust_rules(identity.kind)

    def methods(self) -> tuple[str, ...]:
        return self.config.methods()


def _provider_trust(kind: str, mfa: MFATrustConfig) -> MFATrustRules:
    return trust_rules(
        kind,
        trusted_amr=mfa.trusted_amr,
        trusted_acr=mfa.trusted_acr,
        trusted_acrs=mfa.trusted_acrs,
        max_auth_age_seconds=mfa.max_auth_age_seconds,
        accept_missing_auth_time=mfa.accept_missing_auth_time,
    )


def build_mfa(config: Config, http: httpx2.AsyncClient) -> MFAServices:
    mfa = config.mfa
    secret = config.server.secret_key.get_secret_value()
    secure = not config.server.dev_mode
    return MFAServices(
        config=mfa,
        box=SecretBox.from_settings(
            mfa.encryption_key.get_secret_value() if mfa.encryption_key else None,
            mfa.previous_encryption_key.get_secret_value() if mfa.previous_encryption_key else None,
            secret,
        ),
        requirement=RequirementRules(
            required_globally=mfa.required,
            required_roles=frozenset(mfa.required_roles),
            portal_required={cid: p.require_mfa for cid, p in config.portals.items()},
            technician_may_disable=mfa.technician_may_disable,
        ),
        trust={
            pid: _provider_trust(pc.kind, getattr(pc, "mfa", MFATrustConfig())) for pid, pc in config.providers.items()
        },
        attempts=AttemptRules(
            max_failures=mfa.max_failures,
            delay_after=mfa.delay_after_failures,
            base_delay_seconds=mfa.failure_delay_seconds,
            max_delay_seconds=mfa.max_failure_delay_seconds,
        ),
        http=http,
        pending_cookie=SignedCookie(secret, PENDING_COOKIE, path="/mfa", secure=secure),
        device_cookie=SignedCookie(secret, DEVICE_COOKIE, path="/", secure=secure),
    )


def mfa_services(request: Request) -> MFAServices:
    services: MFAServices = request.app.state.mfa
    return services
