"""A local stand-in for Microsoft Entra ID (login.microsoftonline.com): the same paths, issuer formats, claims
and error answers, for the Entra provider module and msal to talk to over loopback TLS.

- discovery at /{tenant}/v2.0/.well-known/openid-configuration, where "organizations" and "common" name the
  literal `{tenantid}` issuer template and a tenant GUID its own issuer; an unknown tenant answers AADSTS90002;
- keys at /{tenant}/discovery/v2.0/keys, each with its `issuer` property, as Entra publishes them;
- the token endpoint takes msal's client_secret or certificate assertion, checks PKCE and single use;
- id_tokens carry tid, oid, a pairwise sub, ver, and `acrs` for the auth contexts requested through `claims`
  that the user's Conditional Access policy was met for (`satisfied_acrs`).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key
from joserfc.jws import JWSRegistry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.providers.mimic_base import Issued, MimicOP, b64url

TENANT_A = "aaaaaaaa-0000-4000-8000-00000000000a"
TENANT_B = "bbbbbbbb-0000-4000-8000-00000000000b"
TENANT_EVIL = "eeeeeeee-0000-4000-8000-00000000000e"
OID_ALICE = "11111111-1111-4111-8111-111111111111"
OID_MALLORY = "99999999-9999-4999-8999-999999999999"
MULTI = ("organizations", "common")


NESTED_ERROR_TENANT = "dddddddd-0000-4000-8000-00000000000d"

class MimicEntra(MimicOP):
    client_id = "6e1c2f3a-0000-4000-8000-00000000c1d0"

    def __init__(self, clock: Any) -> None:
        super().__init__(clock)
        self.tenants = {TENANT_A, TENANT_B, TENANT_EVIL}
        self.app_tenant = "organizations"  # the tenant segment the app's authority uses
        self.satisfied_acrs: set[str] = set()
        self.client_certificate_key: Key | None = None  # set to accept a certificate credential

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.base}/{self.app_tenant}/oauth2/v2.0/authorize"

    def routes(self) -> list[Route]:
        return [
            Route("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery),
            Route("/{tenant}/discovery/v2.0/keys", self.keys),
            Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
        ]

    def _known(self, tenant: str) -> bool:
        return tenant in MULTI or tenant in self.tenants

    def _issuer(self, tenant: str) -> str:
        return f"{self.base}/{'{tenantid}' if tenant in MULTI else tenant}/v2.0"

    async def discovery(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if tenant == NESTED_ERROR_TENANT:  # a broken front end answering its error page as a very deep JSON array
            return Response(b"[" * 100_000, status_code=400, media_type="application/json")
        if not self._known(tenant):
            return JSONResponse(
                {
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have "
                    "the correct tenant ID and are signing into the correct cloud.",
                },
                status_code=400,
            )
        prefix = f"{self.base}/{tenant}"
        return JSONResponse(
            {
                "issuer": self._issuer(tenant),
                "authorization_endpoint": f"{prefix}/oauth2/v2.0/authorize",
                "token_endpoint": f"{prefix}/oauth2/v2.0/token",
                "jwks_uri": f"{prefix}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            }
        )

    async def keys(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if self.published is not None:
            return JSONResponse({"keys": self.published})
        key = self.key.as_dict(private=False) | {"x5t": self.key.kid, "issuer": self._issuer(tenant)}
        return JSONResponse({"keys": [key]})

    def refuse_authorization(self, query: dict[str, str], user: dict[str, Any]) -> dict[str, str] | None:
        assert "openid" in query["scope"].split() and "profile" in query["scope"].split()
        if user.pop("_deny", False):
            return {
                "error": "access_denied",
                "error_description": "AADSTS50105: Your administrator has configured the application to block "
                "users unless they are specifically granted ('assigned') access to the application.",
            }
        return None

    def authorize(self, login_url: str, user: dict[str, Any] | None = None) -> dict[str, str]:
        params = super().authorize(login_url, user)
        if "code" in params:  # Entra adds client_info (client_info=1 requested by msal)
            issued = self.codes[params["code"]]
            info = {"uid": issued.user.get("oid", OID_ALICE), "utid": issued.user.get("tid", TENANT_A)}
            params["client_info"] = b64url(json.dumps(info).encode())
        return params

    def client_authenticated(self, request: Request, form: dict[str, str]) -> bool:
        assertion = form.get("client_assertion")
        if assertion is None or self.client_certificate_key is None:
            return super().client_authenticated(request, form)
        try:
            # msal puts the certificate chain (x5c) in the header, beyond joserfc's default 512-byte limit.
            registry = JWSRegistry(algorithms=["RS256", "PS256"])
            registry.max_header_length = 8192
            token = jwt.decode(assertion, self.client_certificate_key, registry=registry)
        except (JoseError, ValueError):
            return False
        claims = token.claims
        return claims.get("iss") == self.client_id and claims.get("sub") == self.client_id

    def default_claims(self, issued: Issued) -> dict[str, Any]:
        now = self.now()
        tid = issued.user.get("tid", TENANT_A)
        v1 = issued.user.get("ver") == "1.0"
        claims: dict[str, Any] = {
            "aud": self.client_id,
            "iss": f"https://sts.windows.net/{tid}/" if v1 else f"{self.base}/{tid}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": "Alice Example",
            "nonce": issued.query["nonce"],
            "oid": OID_ALICE,
            "preferred_username": "alice@contoso.example",
            "email": "alice@contoso.example",
            "rh": "0.AAAA",
            "sub": "pairwise-" + secrets.token_hex(8),
            "tid": tid,
            "uti": secrets.token_urlsafe(8),
            "ver": "2.0",
        }
        requested = json.loads(issued.query.get("claims", "{}")).get("id_token", {}).get("acrs")
        if requested:
            wanted = requested.get("values") or [requested.get("value")]
            satisfied = [c for c in wanted if c in self.satisfied_acrs]
            if satisfied:
                claims["acrs"] = satisfied
        return claims

    def token_error(self, status: int, error: str, description: str) -> Response:
        codes = {"invalid_client": "AADSTS7000215", "invalid_grant": "AADSTS70008"}
        body = {
            "error": error,
            "error_description": f"{codes.get(error, 'AADSTS50000')}: {description}",
            "error_codes": [int(codes.get(error, "AADSTS50000")[6:])],
            "trace_id": secrets.token_hex(8),
        }
        return JSONResponse(body, status_code=status)
