"""GET /login and /login/{provider}: the provider choice page and the start of an upstream login."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.bridge import Bridge
from idp_bridge.config.session_model import ADMIN_CLIENT_ID, FORWARD_AUTH_CLIENT_ID
from idp_bridge.endpoints.upstream_start import start_upstream
from idp_bridge.flow import Refuse, StartUpstream, before_upstream, choose_provider
from idp_bridge.store.records.core import AuthRequest
from idp_bridge.web.pages import error_page, render
from idp_bridge.web.request_params import ParameterError, query_params

_BUILT_IN_NAMES = {FORWARD_AUTH_CLIENT_ID: "the protected applications", ADMIN_CLIENT_ID: "the admin console"}
_EXPIRED = "This sign-in request has expired or is unknown. Go back to the application and start signing in again."


async def _auth_request(bridge: Bridge, request: Request, now: float) -> AuthRequest | Response:
    try:
        params = query_params(request, bridge.max_param)
    except ParameterError as exc:
        await bridge.auditor.record("login.rejected", "failure", request=request, reason=exc.message)
        return error_page(exc.status, "Invalid sign-in request", exc.message)
    request_id = params.get("request")
    auth_request = await bridge.store.get_auth_request(request_id, now) if request_id else None
    if auth_request is None:
        await bridge.auditor.record("login.rejected", "failure", request=request, reason="unknown_auth_request")
        return error_page(400, "Sign-in expired", _EXPIRED)
    return auth_request


async def _refuse(
    bridge: Bridge, request: Request, auth_request: AuthRequest, step: Refuse, pid: str | None
) -> Response:
    await bridge.auditor.record(
        "login.denied", "denied", request=request, client_id=auth_request.client_id, provider_id=pid,
        reason=step.page.audit_code,
    )  # fmt: skip
    return error_page(step.page.status, step.page.title, step.page.message)


async def choose(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    now = bridge.clock.now()
    found = await _auth_request(bridge, request, now)
    if isinstance(found, Response):
        return found
    step = choose_provider(found, await bridge.policy.rules())
    if isinstance(step, Refuse):
        return await _refuse(bridge, request, found, step, found.provider_hint)
    if isinstance(step, StartUpstream):
        return await start_upstream(bridge, request, found, step.provider_id, now)
    portal = bridge.portals.get(found.client_id)
    providers = [
        {
            "id": pid,
            "name": bridge.providers[pid].display_name,
            "url": f"/login/{quote(pid)}?request={quote(found.id)}",
        }
        for pid in step.provider_ids
    ]
    return render(
        "choose_provider.html",
        portal_name=portal.display_name if portal else _BUILT_IN_NAMES.get(found.client_id, "the application"),
        providers=providers,
    )


async def start(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    now = bridge.clock.now()
    provider_id = request.path_params["provider_id"]
    found = await _auth_request(bridge, request, now)
    if isinstance(found, Response):
        return found
    step = before_upstream(found, provider_id, await bridge.policy.rules())
    if isinstance(step, Refuse):
        return await _refuse(bridge, request, found, step, provider_id[:64])
    if provider_id not in bridge.providers:
        await bridge.auditor.record(
            "login.rejected", "failure", request=request, client_id=found.client_id, provider_id=provider_id[:64],
            reason="unknown_provider",
        )  # fmt: skip
        return error_page(404, "Unknown sign-in provider", "There is no such sign-in provider.")
    return await start_upstream(bridge, request, found, provider_id, now)
