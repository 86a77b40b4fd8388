"""An in-memory upstream OpenID Provider behind httpx2.MockTransport, minting id_tokens with joserfc."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from joserfc import jwt
from joserfc.jwk import ECKey, Key, OctKey, RSAKey

from idp_bridge.clock import FrozenClock

ISSUER = "https://op.test"
CLIENT_ID = "bridge-client"
CLIENT_SECRET = "upstream-client-secret-0123456789"
CALLBACK = "https://bridge.test/callback/corp"
DELETE = object()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned_token(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def hs256_token(claims: dict[str, Any], secret: str, kid: str | None = None) -> str:
    header: dict[str, Any] = {"alg": "HS256"} | ({"kid": kid} if kid else {})
    return jwt.encode(header, claims, OctKey.import_key(secret), algorithms=["HS256"])


@dataclass
class IssuedCode:
    challenge: str
    method: str
    nonce: str
    redirect_uri: str
    max_age: str | None


class FakeUpstream:
    """Discovery, JWKS and token endpoint of `ISSUER`; `authorize()` plays the browser + login page.

    Knobs: `claims_patch` (DELETE removes a claim), `token_factory` (replaces id_token minting entirely),
    `signing_key`/`alg` (what signs), `token_handler` (replaces the token endpoint), `jwks_keys` (published),
    `down` (paths answering 503).
    """

    def __init__(self, clock: FrozenClock) -> None:
        self.clock = clock
        self.rsa_key: Key = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})
        self.ec_key: Key = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})
        self.jwks_keys: list[Key] = [self.rsa_key, self.ec_key]
        self.signing_key: Key = self.rsa_key
        self.alg = "RS256"
        self.header_kid: str | None = None
        self.discovery: dict[str, Any] = {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }
        self.claims_patch: dict[str, Any] = {}
        self.token_factory: Callable[[dict[str, Any]], str] | None = None
        self.token_handler: Callable[[httpx2.Request], httpx2.Response] | None = None
        self.codes: dict[str, IssuedCode] = {}
        self.token_requests: list[httpx2.Request] = []
        self.hits: dict[str, int] = {"discovery": 0, "jwks": 0, "token": 0}
        self.down: set[str] = set()
        self.refused: list[str] = []

    # -- transport ----------------------------------------------------------------------------------------
    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle))

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path in self.down:
            self.refused.append(path)
            return httpx2.Response(503, text="down for maintenance")
        if request.method == "GET" and path == "/.well-known/openid-configuration":
            self.hits["discovery"] += 1
            return httpx2.Response(200, json=self.discovery)
        if request.method == "GET" and path == "/jwks":
            self.hits["jwks"] += 1
            return httpx2.Response(200, json={"keys": [k.as_dict(private=False) for k in self.jwks_keys]})
        if request.method == "POST" and path == "/token":
            self.hits["token"] += 1
            self.token_requests.append(request)
            if self.token_handler is not None:
                return self.token_handler(request)
            return self._token(request)
        return httpx2.Response(404, json={"error": "not_found"})

    # -- the browser at the authorization endpoint -----------------------------------------------------------
    def authorize(self, login_url: str, *, with_iss: bool = False) -> dict[str, str]:
        """Validate the authorization request like an OP would and return the callback parameters."""
        parts = urlsplit(login_url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.discovery["authorization_endpoint"]
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["response_type"] == "code"
        assert query["client_id"] == CLIENT_ID
        code = secrets.token_urlsafe(16)
        self.codes[code] = IssuedCode(
            challenge=query["code_challenge"],
            method=query["code_challenge_method"],
            nonce=query["nonce"],
            redirect_uri=query["redirect_uri"],
            max_age=query.get("max_age"),
        )
        params = {"code": code, "state": query["state"]}
        if with_iss:
            params["iss"] = ISSUER
        return params

    # -- token endpoint -----------------------------------------------------------------------------------
    def _token(self, request: httpx2.Request) -> httpx2.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        expected_auth = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected_auth or "client_secret" in form:
            return httpx2.Response(401, json={"error": "invalid_client"})
        issued = self.codes.pop(form.get("code", ""), None)
        if issued is None or form.get("grant_type") != "authorization_code":
            return httpx2.Response(400, json={"error": "invalid_grant", "error_description": "unknown code"})
        if form.get("redirect_uri") != issued.redirect_uri:
            return httpx2.Response(400, json={"error": "invalid_grant", "error_description": "redirect_uri"})
        verifier = form.get("code_verifier", "")
        if issued.method != "S256" or b64url(hashlib.sha256(verifier.encode()).digest()) != issued.challenge:
            return httpx2.Response(400, json={"error": "invalid_grant", "error_description": "PKCE failed"})
        claims = self.default_claims(issued.nonce)
        for name, value in self.claims_patch.items():
            if value is DELETE:
                claims.pop(name, None)
            else:
                claims[name] = value
        id_token = self.token_factory(claims) if self.token_factory else self.sign(claims)
        return httpx2.Response(
            200,
            json={"access_token": "at-1", "token_type": "Bearer", "expires_in": 300, "id_token": id_token},
        )

    def default_claims(self, nonce: str) -> dict[str, Any]:
        now = int(self.clock.now())
        return {
            "iss": ISSUER,
            "sub": "user-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now - 10,
            "nonce": nonce,
            "email": "user1@example.com",
            "email_verified": True,
            "name": "User One",
            "groups": ["admins", "devs"],
            "amr": ["pwd", "mfa"],
            "acr": "urn:example:loa:2",
        }

    def sign(self, claims: dict[str, Any], key: Key | None = None, alg: str | None = None) -> str:
        key = key or self.signing_key
        alg = alg or self.alg
        return jwt.encode({"alg": alg, "kid": self.header_kid or key.kid}, claims, key, algorithms=[alg])
