"""Okta (org or custom authorization server): exact configured issuer, `acr_values` step-up, `amr` to RFC 8176.

The bridge asks for the assurance it wants (`acr_values`, e.g. urn:okta:loa:2fa:any, phr, phrh) and reports
what came back as it came back (`acr`); whether that proves MFA is policies.mfa_trust's decision. When Okta
cannot reach the level asked for, it answers error=unmet_authentication_requirements, shown as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from providers.base import Identity
from providers.claims import normalise_amr, strings, text, whole_seconds
from providers.oidc import OIDCProvider
from providers.upstream_http import sanitize

# Okta's amr values (okta-developer-docs "configure-amr-claims-mapping") that mean an RFC 8176 method.
# RFC 8176 values Okta also uses (pwd, kba, sms, tel, otp, swk, hwk, pop, sc, pin, mfa, fed is not one) pass
# through unchanged; vendor names with no exact RFC 8176 meaning (okta_verify, email, duo, symantec, yubikey,
# rsa, phr, fed) are dropped, so only methods the bridge can name truthfully reach policies and tokens.
OKTA_AMR_SYNONYMS = {"google_otp": "otp", "oauth_otp": "otp"}
# Okta's documented acr_values; anything else is silently ignored by Okta, so the bridge refuses to send it.
OKTA_ACR_VALUES = (
    "urn:okta:loa:1fa:any",
    "urn:okta:loa:1fa:pwd",
    "urn:okta:loa:2fa:any",
    "urn:okta:loa:2fa:any:ifpossible",
    "phr",
    "phrh",
)
UNMET = "unmet_authentication_requirements"


class OktaProvider(OIDCProvider):
    """One Okta authorization server, identified by its exact issuer (org: https://ORG.okta.com; custom:
    https://ORG.okta.com/oauth2/ID). Tokens of another authorization server of the same org are refused."""

    def _denied_message(self, params: Mapping[str, str]) -> str:
        if params.get("error") != UNMET:
            return super()._denied_message(params)
        wanted = " or ".join(self._config.request_acr_values) or "the requested level"
        return (
            f"{self.display_name} could not sign you in with the strength this service requires ({wanted}). "
            "Enrol a second factor (for example Okta Verify or a security key) in Okta and try again, "
            "or ask your Okta administrator."
            + (f" Okta said: {sanitize(params['error_description'])}" if params.get("error_description") else "")
        )

    def _identity(self, claims: dict[str, Any]) -> Identity:
        return Identity(
            provider_id=self.id,
            issuer=claims["iss"],
            subject=claims["sub"],
            email=text(claims, "email"),
            email_verified=claims.get("email_verified") is True,
            name=text(claims, "name"),
            groups=strings(claims.get("groups")),
            amr=normalise_amr(strings(claims.get("amr")), OKTA_AMR_SYNONYMS),
            acr=text(claims, "acr"),
            auth_time=whole_seconds(claims, "auth_time"),
            tenant=urlsplit(self._config.issuer).netloc,  # the Okta org
            raw_claims=claims,
            kind="okta",
            requested_acr_values=self._config.request_acr_values,
        )
