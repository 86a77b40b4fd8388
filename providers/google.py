"""Google Workspace: domain allow-list on the signed `hd` claim, verified email required, users keyed on `sub`.

Google sends no `amr`, `acr` or `auth_time` and honours neither `prompt=login` nor `max_age`: a Google login
is never MFA evidence, so the bridge's own step-up always applies. The `hd` request parameter only narrows
Google's account chooser; the domain decision is taken on the `hd` claim of the signed id_token.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx2

from providers.base import AccountNotAllowed, Clock, Identity, LoginOptions, LoginStart, OIDCSettings
from providers.claims import text
from providers.id_token import Expectations
from providers.oidc import OIDCProvider
from providers.upstream_http import sanitize

GOOGLE_ISSUER = "https://accounts.google.com"


class GoogleProvider(OIDCProvider):
    """Google sign-in for the Workspace domains in `allowed_domains` (lowercase); personal accounts never."""

    def __init__(
        self,
        provider_id: str,
        config: OIDCSettings,
        *,
        allowed_domains: tuple[str, ...],
        http: httpx2.AsyncClient,
        clock: Clock,
    ) -> None:
        super().__init__(provider_id, replace(config, request_acr_values=(), request_acrs=()), http=http, clock=clock)
        self._allowed_domains = frozenset(domain.lower() for domain in allowed_domains)
        self._hint = allowed_domains[0].lower() if len(allowed_domains) == 1 else "*"

    async def start_login(self, callback_url: str, options: LoginOptions) -> LoginStart:
        # Google rejects prompt=login and ignores max_age; freshness comes from the bridge's own step-up.
        prompt = "select_account" if options.prompt == "login" else options.prompt
        return await super().start_login(callback_url, replace(options, prompt=prompt, max_age=None))

    def _extra_authorization_params(self) -> dict[str, str]:
        return {"hd": self._hint}  # a hint for the account chooser only

    def _expectations(self, nonce: str, max_age: int | None) -> Expectations:
        legacy = urlsplit(self._config.issuer).netloc  # Google: "accounts.google.com", still used by some tokens
        return replace(super()._expectations(nonce, None), also_issuers=(legacy,))

    def _identity(self, claims: dict[str, Any]) -> Identity:
        hd = claims.get("hd")
        if not isinstance(hd, str) or not hd:
            raise AccountNotAllowed(
                "this Google account does not belong to a Google Workspace organisation (no 'hd' claim); "
                "sign in with your organisation's account"
            )
        if hd.lower() not in self._allowed_domains:
            raise AccountNotAllowed(f"Google Workspace domain '{sanitize(hd, 100)}' may not sign in here")
        if claims.get("email_verified") is not True:
            raise AccountNotAllowed("Google has not verified this account's email address")
        return Identity(
            provider_id=self.id,
            issuer=self._config.issuer,  # both spellings name the same issuer: one user key
            subject=claims["sub"],
            email=text(claims, "email"),
            email_verified=True,
            name=text(claims, "name"),
            tenant=hd.lower(),
            raw_claims=claims,
            kind="google",
        )
