"""GET|POST /userinfo: claims about the signed-in technician for a bearer access token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.oidc.token_minting import profile_claims
from idp_bridge.sessions.end import expire_session
from idp_bridge.store.records.core import secret_hash
from idp_bridge.web.pages import NO_STORE
from idp_bridge.web.request_params import ParameterError, form_params

_FORM = "application/x-www-form-urlencoded"
_REQUIRED = "a Bearer access token is required"


async def _unauthorized(
    bridge: Bridge, request: Request, error: str | None, description: str, reason: str, *, status: int = 401
) -> JSONResponse:
    await bridge.auditor.record("userinfo.rejected", "failure", request=request, reason=reason)
    challenge = 'Bearer realm="idp-bridge"'
    if error:
        challenge += f', error="{error}", error_description="{description}"'
    body = {"error": error or "invalid_request", "error_description": description}
    return JSONResponse(body, status_code=status, headers={**NO_STORE, "WWW-Authenticate": challenge})


class _Refused(Exception):
    def __init__(self, description: str, reason: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.reason = reason
        self.status = status


async def _body_token(bridge: Bridge, request: Request, *, header_sent: bool) -> str | None:
    """RFC 6750 §2.2: `access_token` in a POST body, from application/x-www-form-urlencoded only (with no
    Authorization header, any other body is refused rather than searched); bounded like every form
    (web/request_params)."""
    if request.method != "POST":
        return None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM:
        if content_type and not header_sent:
            raise _Refused(f"an access token in the request body must be sent as {_FORM}", "bad_body")
        return None
    try:
        params = await form_params(request, bridge.max_param)
    except ParameterError as exc:
        raise _Refused(exc.message, "bad_body", exc.status) from exc
    return params.get("access_token")


async def _presented_token(bridge: Bridge, request: Request) -> str | None:
    """The access token from the Authorization header or the form body, never both (RFC 6750 §2: one method)."""
    header = request.headers.get("authorization")
    in_body = await _body_token(bridge, request, header_sent=header is not None)
    if header is None:
        return in_body.strip() if in_body and in_body.strip() else None
    if in_body is not None:
        raise _Refused("send the access token in the Authorization header or in the body, not both", "two_tokens")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def userinfo(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    now = bridge.clock.now()
    try:
        presented = await _presented_token(bridge, request)
    except _Refused as exc:
        return await _unauthorized(bridge, request, "invalid_request", exc.description, exc.reason, status=exc.status)
    if presented is None:
        return await _unauthorized(bridge, request, None, _REQUIRED, "missing_token")
    token = presented
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
