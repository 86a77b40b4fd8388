"""The /token authorization_code exchange: code redemption, PKCE, and minting id_token + access token."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from base64 import urlsafe_b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idp_bridge.oidc.errors import OAuthError
from idp_bridge.oidc.signing_keys import SigningKeys
from idp_bridge.portals import Portal
from idp_bridge.store.base import Store
from idp_bridge.store.records import AccessToken, AuthCode, CodeTakeStatus, User, secret_hash

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


@dataclass(frozen=True)
class TokenLifetimes:
    id_token: int
    access_token: int


@dataclass(frozen=True)
class ExchangeOutcome:
    """What /token answers, plus what the caller audits."""

    body: dict[str, Any]
    code: AuthCode
    user: User


def s256(verifier: str) -> str:
    return urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _half_hash(token: str) -> str:
    # OIDC Core §3.1.3.6 at_hash for SHA-256 based algorithms (RS256, ES256).
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


class ReplayedCode(OAuthError):
    """A code redeemed twice; tokens issued from it have been revoked."""

    def __init__(self, code: AuthCode, revoked: int) -> None:
        super().__init__("invalid_grant", "the authorization code was already used")
        self.code = code
        self.revoked = revoked


async def exchange_code(
    params: Mapping[str, str],
    portal: Portal,
    *,
    store: Store,
    keys: SigningKeys,
    issuer: str,
    lifetimes: TokenLifetimes,
    now: float,
) -> ExchangeOutcome:
    if params.get("grant_type") != "authorization_code":
        raise OAuthError("unsupported_grant_type", "only grant_type=authorization_code is supported")
    code_value = params.get("code")
    if not code_value:
        raise OAuthError("invalid_request", "code is required")
    verifier = params.get("code_verifier")
    if not verifier:
        raise OAuthError("invalid_request", "code_verifier is required (PKCE)")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise OAuthError("invalid_request", "redirect_uri is required")

    taken = await store.take_code(secret_hash(code_value), now)
    if taken.status is CodeTakeStatus.REPLAYED and taken.code is not None:
        revoked = await store.revoke_tokens_for_code(taken.code.code_hash)
        raise ReplayedCode(taken.code, revoked)
    if taken.status is CodeTakeStatus.EXPIRED:
        raise OAuthError("invalid_grant", "the authorization code has expired")
    if taken.status is not CodeTakeStatus.OK or taken.code is None:
        raise OAuthError("invalid_grant", "the authorization code is unknown")
    code = taken.code
    # The code is now spent whatever follows: a stolen code tried by the wrong party is burnt, not retried.
    if code.client_id != portal.client_id:
        raise OAuthError("invalid_grant", "the authorization code was issued to another client")
    if redirect_uri != code.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    if not _VERIFIER.match(verifier):
        raise OAuthError("invalid_grant", "code_verifier must be 43-128 characters of [A-Za-z0-9._~-]")
    if not hmac.compare_digest(s256(verifier), code.code_challenge):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    session = await store.get_session(code.session_id, now)
    if session is None:
        raise OAuthError("invalid_grant", "the sign-in session has ended")
    user = await store.get_user(code.user_id)
    if user is None or user.disabled:
        raise OAuthError("invalid_grant", "the user is not active")

    access_token = secrets.token_urlsafe(32)
    await store.put_access_token(
        AccessToken(
            token_hash=secret_hash(access_token),
            client_id=portal.client_id,
            user_id=user.id,
            session_id=code.session_id,
            scope=code.scope,
            code_hash=code.code_hash,
            created_at=now,
            expires_at=now + lifetimes.access_token,
        )
    )
    iat = int(now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": user.id,
        "aud": portal.client_id,
        "iat": iat,
        "exp": iat + lifetimes.id_token,
        "auth_time": code.auth_time,
        "sid": code.session_id,
        "acr": code.acr,
        "amr": list(code.amr),
        "at_hash": _half_hash(access_token),
        **profile_claims(user, code.scope),
    }
    if code.nonce is not None:
        claims["nonce"] = code.nonce
    body = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetimes.access_token,
        "id_token": keys.sign(claims),
        "scope": code.scope,
    }
    return ExchangeOutcome(body=body, code=code, user=user)


def profile_claims(user: User, scope: str) -> dict[str, Any]:
    """Claims released for the granted scopes (OIDC Core §5.4)."""
    scopes = set(scope.split(" "))
    claims: dict[str, Any] = {}
    if "email" in scopes and user.email:
        claims["email"] = user.email
    if "profile" in scopes and user.name:
        claims["name"] = user.name
    return claims
