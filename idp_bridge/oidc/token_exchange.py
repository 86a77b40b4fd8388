"""The /token authorization_code exchange: code redemption and PKCE, then tokens from token_minting."""

from __future__ import annotations

import hashlib
import hmac
import re
from base64 import urlsafe_b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idp_bridge.oidc.errors import OAuthError
from idp_bridge.oidc.portals import Portal
from idp_bridge.oidc.signing_keys import SigningKeys
from idp_bridge.oidc.token_minting import Grant, TokenLifetimes, mint_tokens
from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.core import AuthCode, CodeTakeStatus, Session, User, secret_hash

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


@dataclass(frozen=True)
class ExchangeOutcome:
    """What /token answers, plus what the caller audits."""

    body: dict[str, Any]
    code: AuthCode
    user: User
    session: Session  # live when the code was redeemed


def s256(verifier: str) -> str:
    return urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


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

    grant = Grant(
        client_id=portal.client_id, user=user, session_id=code.session_id, scope=code.scope,
        auth_time=code.auth_time, amr=code.amr, acr=code.acr, nonce=code.nonce, code_hash=code.code_hash,
    )  # fmt: skip
    # The portal now holds tokens of the session (back-channel logout): recorded with the access token.
    body = await mint_tokens(
        grant, store=store, keys=keys, issuer=issuer, lifetimes=lifetimes, now=now, record_client=True
    )
    return ExchangeOutcome(body=body, code=code, user=user, session=session)
