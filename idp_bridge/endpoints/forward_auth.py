"""GET /forward-auth (nginx auth_request) and /forward-auth/redirect (Caddy forward_auth, Traefik forwardAuth).

200 with identity headers for a live session that meets the route's requirement; otherwise 401 (nginx mode,
with `Location:` the sign-in URL for the snippet's `error_page 401`) or a redirect to it (redirect mode).
Each check counts as activity for the idle timer. This is the hot path: a raw-HMAC cookie check and a
per-worker cache (see session_cache.py for the staleness bound); no audit write for an ordinary signed-out
request, one for a forged cookie or a malformed/unprotected target.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.forward_auth_target import Target, sign_in_url, target_from_headers
from idp_bridge.session_access import live_session
from policies.route_rules import SessionEvidence, matching_rule, meets

_NO_STORE = {"Cache-Control": "no-store"}


async def _refuse(bridge: Bridge, request: Request, status: int, message: str, reason: str) -> Response:
    await bridge.auditor.record("forward_auth.rejected", "failure", request=request, reason=reason)
    return PlainTextResponse(message, status_code=status, headers=_NO_STORE)


def _sign_in(bridge: Bridge, target: Target, redirect: bool) -> Response:
    location = sign_in_url(bridge.sessions.forward_auth, target)
    if redirect:
        status = 302 if target.method in ("GET", "HEAD") else 303
        return Response(status_code=status, headers={"Location": location, **_NO_STORE})
    return Response(status_code=401, headers={"Location": location, **_NO_STORE})


async def _check(request: Request, redirect: bool) -> Response:
    bridge: Bridge = request.app.state.bridge
    settings = bridge.sessions.forward_auth
    target = target_from_headers(request.headers)
    if target is None:
        return await _refuse(
            bridge, request, 400, "forward-auth: the proxy sent no valid X-Forwarded-Proto/Host/Uri", "bad_target"
        )
    if target.host not in settings.protected_hosts:
        return await _refuse(bridge, request, 403, "forward-auth: this host is not protected", "host_not_protected")
    raw = request.cookies.get(bridge.session_cookie.name)
    if raw is None:
        return _sign_in(bridge, target, redirect)
    token = bridge.session_cookie.unsign(raw)
    if token is None:
        await bridge.auditor.record("forward_auth.rejected", "failure", request=request, reason="bad_session_cookie")
        return _sign_in(bridge, target, redirect)
    now = bridge.clock.now()
    entry = await live_session(bridge, token, now, cached=True)
    if entry is None:
        return _sign_in(bridge, target, redirect)
    if settings.rules:
        rule = matching_rule(settings.rules, target.host, target.uri)
        if rule is not None and not meets(rule, SessionEvidence(entry.session.amr, entry.session.auth_time), now):
            return _sign_in(bridge, target, redirect)  # step-up: the sign-in page knows the rule too
    return Response(status_code=200, headers=dict(entry.headers))


async def check_nginx(request: Request) -> Response:
    return await _check(request, redirect=False)


async def check_redirect(request: Request) -> Response:
    return await _check(request, redirect=True)
