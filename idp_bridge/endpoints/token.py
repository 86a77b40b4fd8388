"""POST /token: a portal redeems its code for an id_token and access token (flow step 7)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.oidc import client_throttle
from idp_bridge.oidc.errors import OAuthError
from idp_bridge.oidc.portals import Portal, claimed_client_id
from idp_bridge.oidc.token_exchange import ReplayedCode, exchange_code
from idp_bridge.oidc.token_minting import TokenLifetimes
from idp_bridge.sessions.refresh_tokens import RefreshReused, issue_refresh_token, refresh_grant
from idp_bridge.web.pages import NO_STORE
from idp_bridge.web.request_params import ParameterError, form_params


def oauth_error_response(exc: OAuthError) -> JSONResponse:
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status,
        headers={**NO_STORE, **exc.headers},
    )


async def authenticate_client(
    bridge: Bridge, request: Request, params: dict[str, str], client_id: str | None, now: float
) -> Portal:
    """The portal, behind the back-off: while the claimed client_id or the address is waiting out earlier
    failures, nothing is checked (429 with Retry-After); a failure is counted under both, a success clears them."""
    keys = client_throttle.throttle_keys(client_id, request.client.host if request.client else None)
    wait, failed_before = await client_throttle.seconds_to_wait(bridge.store, keys, now)
    if wait:
        raise OAuthError(
            "invalid_client", f"too many failed client authentications; retry in {wait} s", status=429,
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
    try:
        portal = bridge.portals.authenticate(request.headers.get("authorization"), params)
    except OAuthError as exc:
        if exc.error == "invalid_client":
            await client_throttle.record_failure(bridge.store, keys, now)
        raise
    if failed_before:
        await bridge.store.clear_auth_failures(keys)
    return portal


async def token(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    now = bridge.clock.now()
    client_id: str | None = None
    try:
        try:
            params = await form_params(request, bridge.max_param)
        except ParameterError as exc:
            raise OAuthError("invalid_request", exc.message, status=exc.status) from exc
        # Audited under the client_id it claims, authenticated or not (never the secret).
        client_id = claimed_client_id(request.headers.get("authorization"), params)
        portal = await authenticate_client(bridge, request, params, client_id, now)
        # The grant exists only when some portal may use it (else: unsupported_grant_type, as before).
        if params.get("grant_type") == "refresh_token" and any(p.allow_refresh_tokens for p in bridge.portals.all()):
            refreshed = await refresh_grant(bridge, params, portal, now)
            await bridge.auditor.record(
                "token.refreshed", "success", request=request, client_id=client_id, user_id=refreshed.user_id,
                session_id=refreshed.session_id,
            )  # fmt: skip
            return JSONResponse(refreshed.body, headers=NO_STORE)
        tokens = bridge.config.tokens
        outcome = await exchange_code(
            params,
            portal,
            store=bridge.store,
            keys=bridge.keys,
            issuer=bridge.issuer,
            lifetimes=TokenLifetimes(tokens.id_token_lifetime_seconds, tokens.access_token_lifetime_seconds),
            now=now,
        )
    except ReplayedCode as exc:
        await bridge.auditor.record(
            "token.code_replayed", "failure", request=request, client_id=client_id, user_id=exc.code.user_id,
            session_id=exc.code.session_id, revoked_tokens=exc.revoked,
        )  # fmt: skip
        return oauth_error_response(exc)
    except RefreshReused as exc:
        await bridge.auditor.record(
            "token.refresh_reused", "failure", request=request, client_id=client_id, user_id=exc.token.user_id,
            session_id=exc.token.session_id, revoked_tokens=exc.revoked,
        )  # fmt: skip
        return oauth_error_response(exc)
    except OAuthError as exc:
        await bridge.auditor.record(
            "token.rejected", "failure", request=request, client_id=client_id, reason=exc.error,
            description=exc.description,
        )  # fmt: skip
        return oauth_error_response(exc)
    # Session rules: the portal was recorded as holding tokens of the session (back-channel logout) with its
    # access token; maybe a refresh token too.
    if portal.allow_refresh_tokens:
        outcome.body["refresh_token"] = await issue_refresh_token(
            bridge, portal, outcome.session, outcome.code.scope, now, code_hash=outcome.code.code_hash
        )
    await bridge.auditor.record(
        "token.issued", "success", request=request, client_id=client_id, user_id=outcome.user.id,
        session_id=outcome.code.session_id,
    )  # fmt: skip
    return JSONResponse(outcome.body, headers=NO_STORE)
