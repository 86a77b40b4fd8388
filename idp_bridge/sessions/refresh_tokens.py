"""Refresh tokens: issued with the code exchange to portals allowed them, bound to the session, rotated on every
use (a reused one revokes its whole family), dead when the session ends; and the refresh_token grant itself."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from idp_bridge.bridge import Bridge
from idp_bridge.oidc.errors import OAuthError
from idp_bridge.oidc.portals import Portal
from idp_bridge.oidc.token_minting import Grant, TokenLifetimes, mint_tokens
from idp_bridge.sessions.end import expire_session
from idp_bridge.store.records.core import Session, User, secret_hash
from idp_bridge.store.records.session_rules import RefreshStatus, RefreshToken


@dataclass(frozen=True)
class RefreshOutcome:
    body: dict[str, Any]
    user_id: str
    session_id: str


class RefreshReused(OAuthError):
    """A spent refresh token came back: its family has been revoked."""

    def __init__(self, token: RefreshToken, revoked: int) -> None:
        super().__init__("invalid_grant", "the refresh token was already used; the grant has been revoked")
        self.token = token
        self.revoked = revoked


async def issue_refresh_token(
    bridge: Bridge, portal: Portal, session: Session, scope: str, now: float, *, code_hash: str
) -> str:
    """A new refresh token family for this portal and session, started by the code `code_hash` (a hash, so the
    family is named after the grant: a replayed code revokes it); it expires with the session."""
    token = secrets.token_urlsafe(32)
    await bridge.store.put_refresh_token(
        RefreshToken(
            token_hash=secret_hash(token),
            family_id=code_hash,
            client_id=portal.client_id,
            user_id=session.user_id,
            session_id=session.id,
            scope=scope,
            created_at=now,
            expires_at=session.expires_at,
        )
    )
    return token


async def _mint(
    bridge: Bridge, portal: Portal, session: Session, user: User, known: RefreshToken, now: float
) -> dict[str, Any]:
    tokens = bridge.config.tokens
    # The access token carries the family's code (its family_id): a replay of that code revokes it too.
    grant = Grant(
        client_id=portal.client_id, user=user, session_id=session.id, scope=known.scope,
        auth_time=session.auth_time, amr=session.amr, acr=session.acr, code_hash=known.family_id,
    )  # fmt: skip
    return await mint_tokens(
        grant, store=bridge.store, keys=bridge.keys, issuer=bridge.issuer, now=now,
        lifetimes=TokenLifetimes(tokens.id_token_lifetime_seconds, tokens.access_token_lifetime_seconds),
    )  # fmt: skip


async def refresh_grant(bridge: Bridge, params: Mapping[str, str], portal: Portal, now: float) -> RefreshOutcome:
    if not portal.allow_refresh_tokens:
        raise OAuthError("unauthorized_client", "this client may not use refresh tokens")
    presented = params.get("refresh_token")
    if not presented or len(presented) > 512:
        raise OAuthError("invalid_request", "refresh_token is required")
    old_hash = secret_hash(presented)
    known = await bridge.store.get_refresh_token(old_hash)
    if known is None or known.client_id != portal.client_id:  # another client's token is not even spent
        raise OAuthError("invalid_grant", "the refresh token is unknown")
    new_token = secrets.token_urlsafe(32)
    rotation = await bridge.store.rotate_refresh_token(old_hash, secret_hash(new_token), now)
    if rotation.status is RefreshStatus.REUSED:
        raise RefreshReused(known, rotation.revoked)
    if rotation.status is RefreshStatus.EXPIRED:
        raise OAuthError("invalid_grant", "the refresh token has expired")
    if rotation.status is RefreshStatus.SESSION_ENDED:
        await expire_session(bridge, known.session_id)  # ran out: end it now, with its back-channel logouts
        raise OAuthError("invalid_grant", "the sign-in session has ended")
    if rotation.status is not RefreshStatus.OK:
        raise OAuthError("invalid_grant", "the refresh token is unknown")
    scope = known.scope
    if "scope" in params and not set(params["scope"].split(" ")) <= set(scope.split(" ")):
        raise OAuthError("invalid_scope", "a refresh cannot widen the granted scope")
    session = await bridge.store.get_session(known.session_id, now)
    user = await bridge.store.get_user(known.user_id)
    if session is None:
        raise OAuthError("invalid_grant", "the sign-in session has ended")
    if user is None or user.disabled:
        raise OAuthError("invalid_grant", "the user is not active")
    await bridge.store.touch_session(session.id, now)  # a refresh is activity for the idle timer
    body = await _mint(bridge, portal, session, user, known, now)
    body["refresh_token"] = new_token
    return RefreshOutcome(body=body, user_id=user.id, session_id=session.id)
