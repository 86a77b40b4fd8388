"""The mechanics every mimic provider shares: an authorization "page" the test drives, a token endpoint with
client authentication, PKCE and single-use codes, JWKS, and id_tokens minted with joserfc. Each provider's
mimic (mimic_entra.py, mimic_google.py, mimic_okta.py) adds its own paths, issuer format, claims and errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from joserfc import jwt
from joserfc.jwk import Key, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idp_bridge.clock import FrozenClock

DELETE = object()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Issued:
    """An authorization code and what the login that produced it asked for and who signed in."""

    query: dict[str, str]
    user: dict[str, Any]


class MimicOP:
    """Subclasses define `routes()`, `authorization_endpoint`, `default_claims()` and may refine the rest."""

    client_id = "bridge-client"
    client_secret = "mimic-client-secret-0123456789"

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.base = "https://mimic.invalid"  # set by the test once the server listens
        self.key: Key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4), "use": "sig"})
        self.signing_key: Key = self.key
        self.published: list[dict[str, Any]] | None = None  # JWKS override
        self.codes: dict[str, Issued] = {}
        self.patch: dict[str, Any] = {}
        self.authorize_queries: list[dict[str, str]] = []
        self.token_forms: list[dict[str, str]] = []

    # -- to be provided by each mimic ---------------------------------------------------------------------
    @property
    def authorization_endpoint(self) -> str:
        raise NotImplementedError

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def default_claims(self, issued: Issued) -> dict[str, Any]:
        raise NotImplementedError

    def refuse_authorization(self, query: dict[str, str], user: dict[str, Any]) -> dict[str, str] | None:
        """The error a real provider would redirect with for this request, or None to issue a code."""
        return None

    def client_authenticated(self, request: Request, form: dict[str, str]) -> bool:
        expected = "Basic " + b64url(f"{self.client_id}:{self.client_secret}".encode())
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            padded = basic + "=" * (-len(basic) % 4)
            return hmac.compare_digest(padded.rstrip("="), expected.rstrip("="))
        return form.get("client_id") == self.client_id and form.get("client_secret") == self.client_secret

    # -- the app --------------------------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    def authorize(self, login_url: str, user: dict[str, Any] | None = None) -> dict[str, str]:
        """Play the browser and the sign-in page: the callback parameters the provider would redirect with."""
        parts = urlsplit(login_url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.authorization_endpoint, login_url
        query = dict(parse_qsl(parts.query))
        self.authorize_queries.append(query)
        assert query["response_type"] == "code" and query["client_id"] == self.client_id
        assert query["code_challenge_method"] == "S256" and query["state"] and query["nonce"]
        user = dict(user or {})
        error = self.refuse_authorization(query, user)
        if error is not None:
            return {**error, "state": query["state"]}
        code = secrets.token_urlsafe(24)
        self.codes[code] = Issued(query=query, user=user)
        return {"code": code, "state": query["state"]}

    async def jwks(self, request: Request) -> Response:
        keys = self.published if self.published is not None else [self.key.as_dict(private=False)]
        return JSONResponse({"keys": keys})

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        self.token_forms.append(form)
        if not self.client_authenticated(request, form):
            return self.token_error(401, "invalid_client", "client authentication failed")
        issued = self.codes.pop(form.get("code", ""), None)
        if issued is None or form.get("grant_type") != "authorization_code":
            return self.token_error(400, "invalid_grant", "the code is unknown, expired or was used")
        if form.get("redirect_uri") != issued.query["redirect_uri"]:
            return self.token_error(400, "invalid_grant", "redirect_uri does not match")
        challenge = b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if challenge != issued.query["code_challenge"]:
            return self.token_error(400, "invalid_grant", "PKCE verification failed")
        claims = self.default_claims(issued) | issued.user
        for name, value in self.patch.items():
            if value is DELETE:
                claims.pop(name, None)
            else:
                claims[name] = value
        id_token = self.sign(claims)
        return JSONResponse(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": "mimic-at", "id_token": id_token}
        )

    def token_error(self, status: int, error: str, description: str) -> Response:
        return JSONResponse({"error": error, "error_description": description}, status_code=status)

    def sign(self, claims: dict[str, Any]) -> str:
        key = self.signing_key
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=["RS256"])

    def now(self) -> int:
        return int(self.clock.now())
