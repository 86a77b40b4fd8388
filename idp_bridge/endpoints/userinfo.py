"""GET|POST /userinfo: claims about the signed-in technician for a bearer access token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.oidc.token_minting import profile_claims
from idp_bridge.sessions.end import expire_session
from idp_bridge.store.records.core import secret_hash
from idp_bridge.web.pages import NO_STORE


async def _unauthorized(
    bridge: Bridge, request: Request, error: str | None, description: str, reason: str
) -> JSONResponse:
    await bridge.auditor.record("userinfo.rejected", "failure", request=request, reason=reason)
    challenge = 'Bearer realm="idp-bridge"'
    if error:
        challenge += f', error="{error}", error_description="{description}"'
    body = {"error": error or "invalid_request", "error_description": description}
    return JSONResponse(body, status_code=401, headers={**NO_STORE, "WWW-Authenticate": challenge})


async def userinfo(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    now = bridge.clock.now()
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return await _unauthorized(bridge, request, None, "a Bearer access token is required", "missing_token")
    token = token.strip()
    if len(token) > 512:
        return await _unauthorized(bridge, request, "invalid_token", "the access token is malformed", "malformed_token")
    record = await bridge.store.get_access_token(secret_hash(token), now)
    session = await bridge.store.get_session(record.session_id, now) if record else None
    user = await bridge.store.get_user(record.user_id) if record else None
    if record is not None and session is None:
        await expire_session(bridge, record.session_id)  # ran out since: end it now, back-channel included
    if record is None or session is None or user is None or user.disabled:
        return await _unauthorized(
            bridge, request, "invalid_token", "the access token is invalid, expired or its session has ended",
            "invalid_token",
        )  # fmt: skip
    await bridge.store.touch_session(session.id, now)
    return JSONResponse({"sub": user.id, **profile_claims(user, record.scope)}, headers=NO_STORE)
