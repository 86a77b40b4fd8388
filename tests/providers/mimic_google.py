"""A local stand-in for Google's OpenID Connect (accounts.google.com): root discovery, `hd` and
`email_verified` claims, no amr/acr/auth_time, either issuer spelling, and Google's answer to prompt=login."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.providers.mimic_base import Issued, MimicOP

SUB_ALICE = "108512345678901234567"


class MimicGoogle(MimicOP):
    client_id = "1234567890-abc.apps.googleusercontent.com"

    def __init__(self, clock: Any) -> None:
        super().__init__(clock)
        self.legacy_issuer = False  # sign with iss "accounts.google.com" (host only), as some tokens still do

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.base}/o/oauth2/v2/auth"

    def routes(self) -> list[Route]:
        return [
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/oauth2/v3/certs", self.jwks),
            Route("/token", self.token, methods=["POST"]),
        ]

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.base,
                "authorization_endpoint": self.authorization_endpoint,
                "token_endpoint": f"{self.base}/token",
                "jwks_uri": f"{self.base}/oauth2/v3/certs",
                "response_types_supported": ["code", "token", "id_token", "code token", "none"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "iss", "name", "sub"],
                "code_challenge_methods_supported": ["plain", "S256"],
            }
        )

    def refuse_authorization(self, query: dict[str, str], user: dict[str, Any]) -> dict[str, str] | None:
        if "login" in query.get("prompt", "").split():
            return {"error": "invalid_request", "error_description": "Invalid prompt: login"}
        if user.pop("_deny", False):
            return {"error": "access_denied"}
        return None

    def default_claims(self, issued: Issued) -> dict[str, Any]:
        now = self.now()
        return {
            "iss": urlsplit(self.base).netloc if self.legacy_issuer else self.base,
            "azp": self.client_id,
            "aud": self.client_id,
            "sub": SUB_ALICE,
            "hd": "example.com",
            "email": "alice@example.com",
            "email_verified": True,
            "at_hash": secrets.token_urlsafe(16),
            "nonce": issued.query["nonce"],
            "name": "Alice Example",
            "picture": "https://lh3.googleusercontent.com/a/x",
            "iat": now,
            "exp": now + 3599,
        }
