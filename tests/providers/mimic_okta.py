"""A local stand-in for Okta: an org authorization server (issuer = the org URL, endpoints under /oauth2/v1)
or a custom one (issuer = /oauth2/{id}, endpoints under it), Okta's amr values, `acr` for the requested
`acr_values`, `groups`, and error=unmet_authentication_requirements when the user cannot reach the level."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.providers.mimic_base import Issued, MimicOP

SUB_ALICE = "00u1abcdEFGHijkl5d7"


class MimicOkta(MimicOP):
    client_id = "0oa1bridgeclient5d7"

    def __init__(self, clock: Any) -> None:
        super().__init__(clock)
        self.server = "default"  # custom authorization server id; None for the org authorization server
        self.user_levels = {"urn:okta:loa:1fa:any", "urn:okta:loa:1fa:pwd", "urn:okta:loa:2fa:any"}

    @property
    def issuer(self) -> str:
        return self.base if self.server is None else f"{self.base}/oauth2/{self.server}"

    @property
    def _endpoints(self) -> str:
        return f"{self.base}/oauth2/v1" if self.server is None else f"{self.issuer}/v1"

    @property
    def authorization_endpoint(self) -> str:
        return f"{self._endpoints}/authorize"

    def routes(self) -> list[Route]:
        return [
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/oauth2/v1/keys", self.jwks),
            Route("/oauth2/v1/token", self.token, methods=["POST"]),
            Route("/oauth2/{server}/.well-known/openid-configuration", self.discovery),
            Route("/oauth2/{server}/v1/keys", self.jwks),
            Route("/oauth2/{server}/v1/token", self.token, methods=["POST"]),
        ]

    async def discovery(self, request: Request) -> Response:
        if request.path_params.get("server") != self.server:
            return JSONResponse({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found"}, 404)
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.authorization_endpoint,
                "token_endpoint": f"{self._endpoints}/token",
                "jwks_uri": f"{self._endpoints}/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile", "email", "groups", "offline_access"],
                "claims_supported": ["iss", "sub", "aud", "amr", "acr", "auth_time", "groups", "email"],
            }
        )

    def refuse_authorization(self, query: dict[str, str], user: dict[str, Any]) -> dict[str, str] | None:
        wanted = query.get("acr_values")
        if wanted and not any(level in self.user_levels for level in wanted.split()):
            return {
                "error": "unmet_authentication_requirements",
                "error_description": "The user is not enrolled in a factor that satisfies the requested acr_values.",
            }
        return None

    def default_claims(self, issued: Issued) -> dict[str, Any]:
        now = self.now()
        claims: dict[str, Any] = {
            "ver": 1,
            "iss": self.issuer,
            "sub": SUB_ALICE,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 3600,
            "jti": "ID." + secrets.token_urlsafe(12),
            "amr": ["pwd"],
            "idp": "00o1orgidp5d7",
            "nonce": issued.query["nonce"],
            "auth_time": now - 30,
            "email": "alice@acme.example",
            "email_verified": True,
            "name": "Alice Example",
            "preferred_username": "alice@acme.example",
        }
        wanted = issued.query.get("acr_values", "").split()
        met = [level for level in wanted if level in self.user_levels]
        if met:
            claims["acr"] = met[0]
            if met[0].startswith("urn:okta:loa:2fa") or met[0] in ("phr", "phrh"):
                claims["amr"] = ["pwd", "mfa", "okta_verify", "otp"]
        if "groups" in issued.query["scope"].split():
            claims["groups"] = ["Everyone", "Technicians"]
        return claims
