"""Minting what /token answers (an opaque access token and a signed id_token), for every grant alike."""

from __future__ import annotations

import hashlib
import secrets
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from typing import Any

from idp_bridge.oidc.signing_keys import SigningKeys
from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.core import AccessToken, User, secret_hash


@dataclass(frozen=True)
class TokenLifetimes:
    id_token: int
    access_token: int


@dataclass(frozen=True)
class Grant:
    """Who the tokens are for and how they authenticated: from a code, or from a session on refresh."""

    client_id: str
    user: User
    session_id: str
    scope: str
    auth_time: int
    amr: tuple[str, ...]
    acr: str | None
    nonce: str | None = None
    code_hash: str | None = None  # lets a replayed code revoke what it issued


def at_hash(token: str) -> str:
    """OIDC Core §3.1.3.6 at_hash for SHA-256 based algorithms (RS256, ES256)."""
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def profile_claims(user: User, scope: str) -> dict[str, Any]:
    """Claims released for the granted scopes (OIDC Core §5.4)."""
    scopes = set(scope.split(" "))
    claims: dict[str, Any] = {}
    if "email" in scopes and user.email:
        claims["email"] = user.email
    if "profile" in scopes and user.name:
        claims["name"] = user.name
    return claims


async def mint_tokens(
    grant: Grant,
    *,
    store: Store,
    keys: SigningKeys,
    issuer: str,
    lifetimes: TokenLifetimes,
    now: float,
    record_client: bool = False,
) -> dict[str, Any]:
    """Store a new access token for the grant and return the token response body with a signed id_token.
    `record_client`: also record the portal as holding tokens of the session (Store.put_access_token)."""
    access_token = secrets.token_urlsafe(32)
    await store.put_access_token(
        AccessToken(
            token_hash=secret_hash(access_token),
            client_id=grant.client_id,
            user_id=grant.user.id,
            session_id=grant.session_id,
            scope=grant.scope,
            code_hash=grant.code_hash,
            created_at=now,
            expires_at=now + lifetimes.access_token,
        ),
        record_client=record_client,
    )
    iat = int(now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": grant.user.id,
        "aud": grant.client_id,
        "iat": iat,
        "exp": iat + lifetimes.id_token,
        "auth_time": grant.auth_time,
        "sid": grant.session_id,
        "acr": grant.acr,
        "amr": list(grant.amr),
        "at_hash": at_hash(access_token),
        **profile_claims(grant.user, grant.scope),
    }
    if grant.nonce is not None:
        claims["nonce"] = grant.nonce
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetimes.access_token,
        "id_token": keys.sign(claims),
        "scope": grant.scope,
    }
