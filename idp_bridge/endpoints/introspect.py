"""POST /introspect (RFC 7662): a portal asks about an access token; the answer carries `acr`, `amr` and
`auth_time` (RFC 9470 §6.2), so a portal can demand a recent second factor for a sensitive action."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.endpoints.token import authenticate_client, oauth_error_response
from idp_bridge.oidc.errors import OAuthError
from idp_bridge.oidc.portals import claimed_client_id
from idp_bridge.store.records.core import secret_hash
from idp_bridge.web.pages import NO_STORE
from idp_bridge.web.request_params import ParameterError, form_params

_INACTIVE = {"active": False}


async def introspect(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    now = bridge.clock.now()
    client_id: str | None = None
    try:
        try:
            params = await form_params(request, bridge.max_param)
        except ParameterError as exc:
            raise OAuthError("invalid_request", exc.message, status=exc.status) from exc
        client_id = claimed_client_id(request.headers.get("authorization"), params)
        portal = await authenticate_client(bridge, request, params, client_id, now)  # the same back-off as /token
        if portal.is_public:
            raise OAuthError("invalid_client", "introspection needs a confidential client", status=401)
        token = params.get("token")
        if not token:
            raise OAuthError("invalid_request", "token is required")
    except OAuthError as exc:
        await bridge.auditor.record(
            "introspect.rejected", "failure", request=request, reason=exc.error,
            client_id=client_id,
        )  # fmt: skip
        return oauth_error_response(exc)
    record = await bridge.store.get_access_token(secret_hash(token), now) if len(token) <= 512 else None
    # A portal learns only about its own tokens; anything else is simply inactive (RFC 7662 §2.2).
    session = await bridge.store.get_session(record.session_id, now) if record else None
    user = await bridge.store.get_user(record.user_id) if record else None
    if record is None or record.client_id != portal.client_id or session is None or user is None or user.disabled:
        return JSONResponse(_INACTIVE, headers=NO_STORE)
    return JSONResponse(
        {
            "active": True, "iss": bridge.issuer, "sub": user.id, "client_id": record.client_id,
            "scope": record.scope, "token_type": "Bearer", "iat": int(record.created_at),
            "exp": int(record.expires_at), "sid": session.id, "acr": session.acr, "amr": list(session.amr),
            "auth_time": session.auth_time,
        },
        headers=NO_STORE,
    )  # fmt: skip
