"""GET /admin/sign-in and /admin/step-up: the console signs people in through the bridge's own login flow.

The console is a built-in pseudo-portal (ADMIN_CLIENT_ID): its sign-ins follow the same allow-list (narrowed by
admin.allowed_providers), identity rules, upstream login and local second factor as any portal's, and always
ask for the multi-factor level. A step-up asks for that level no older than 10 minutes: a live session only
does the local second factor again (flow.after_authorize -> StepUp), keeping its id. Both return to `next`, a
path inside the console, and never issue an authorization code.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin.console.handler import BASE, bridge_of, local_path
from idp_bridge.built_in_sign_in import built_in_sign_in
from idp_bridge.config.session_model import ADMIN_CLIENT_ID
from idp_bridge.endpoints.signed_out import notice_page, signed_out_notice
from idp_bridge.oidc.assurance import ACR_MULTI_FACTOR
from idp_bridge.sessions.access import live_session
from idp_bridge.web.pages import error_page
from policies.admin_authorization import RECENT_MFA_SECONDS


async def sign_in(request: Request) -> Response:
    return await _begin(request, max_age=None)


async def step_up(request: Request) -> Response:
    return await _begin(request, max_age=RECENT_MFA_SECONDS)


async def _begin(request: Request, max_age: int | None) -> Response:
    bridge = bridge_of(request)
    if not bridge.config.admin.enabled:
        return error_page(404, "Page not found", "There is nothing at this address.")
    now = bridge.clock.now()
    target = local_path(request.query_params.get("next"))
    token = bridge.session_cookie.read(request)
    entry = await live_session(bridge, token, now, cached=False) if token else None
    session = entry.session if entry is not None else None
    if session is None and token is not None:
        notice = await signed_out_notice(bridge, request, now)
        if notice is not None:  # e.g. ended by an admin: say so before signing in again
            return await notice_page(bridge, request, notice, f"{BASE}/sign-in?next={quote(target)}")
    return await built_in_sign_in(
        bridge, request, client_id=ADMIN_CLIENT_ID, target=target, session=session, acr_values=ACR_MULTI_FACTOR,
        max_age=max_age, now=now,
    )
