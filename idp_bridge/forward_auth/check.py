"""GET /forward-auth (nginx auth_request) and /forward-auth/redirect (Caddy forward_auth, Traefik forwardAuth).

200 with identity headers for a live session that meets the route's requirement; otherwise 401 (nginx mode,
with `Location:` the sign-in URL for the snippet's `error_page 401`) or a redirect to it (redirect mode; a 401
with a JSON body for a client that asks for JSON). A path a route rule cannot read unambiguously gets a 400.
Each check counts as activity for the idle timer.

This is the hot path, served by an ASGI middleware ahead of routing: one pass over the raw headers, a raw-HMAC
cookie check, the per-worker session cache (see sessions/cache.py for the staleness bound) and pre-encoded
response headers. No audit write for an ordinary signed-out request; one for a forged cookie or a
malformed/unprotected target.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from idp_bridge.bridge import Bridge
from idp_bridge.forward_auth import json_answer
from idp_bridge.forward_auth.target import Target, sign_in_url, target_from_headers
from idp_bridge.sessions.access import live_session
from idp_bridge.store.protocol.core import RETRY_AFTER_SECONDS, DuplicateKey, StoreError
from policies.route_rules import AMBIGUOUS_PATH, AmbiguousPath, RouteRule, SessionEvidence, matching_rule, meets

PATHS = {"/forward-auth": False, "/forward-auth/redirect": True}  # path -> redirect mode
_WANTED = {b"x-forwarded-proto", b"x-forwarded-host", b"x-forwarded-uri", b"x-forwarded-method", b"x-original-url",
           b"cookie", b"accept"}  # fmt: skip
_NO_STORE = (b"cache-control", b"no-store")
_STORE_RETRY_AFTER = (b"retry-after", str(RETRY_AFTER_SECONDS).encode())
_EMPTY_BODY = {"type": "http.response.body", "body": b""}
_JSON = (b"content-type", b"application/json")

_log = logging.getLogger("idp_bridge.forward_auth")


def _headers(scope: Scope) -> dict[str, str]:
    """The few request headers forward-auth reads, in one pass (the first of each; cookies joined)."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in _WANTED:
            key = name.decode()
            if key == "cookie" and key in found:
                found[key] += "; " + value.decode("latin-1")
            elif key not in found:
                found[key] = value.decode("latin-1")
    return found


def cookie_value(header: str | None, name: str) -> str | None:
    """The value of cookie `name` in a Cookie header (the first one), without parsing the others."""
    if not header:
        return None
    prefix = name + "="
    for part in header.split(";"):
        part = part.strip()
        if part.startswith(prefix):
            return part[len(prefix) :].strip('"')
    return None


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send(_EMPTY_BODY)


async def _refuse(bridge: Bridge, scope: Scope, send: Send, status: int, message: str, reason: str) -> None:
    await bridge.auditor.record("forward_auth.rejected", "failure", request=Request(scope), reason=reason)
    body = message.encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()), _NO_STORE]})
    await send({"type": "http.response.body", "body": body})  # fmt: skip


async def _sign_in(
    bridge: Bridge, send: Send, target: Target, redirect: bool, headers: dict[str, str], step_up: bool = False
) -> None:
    url = sign_in_url(bridge.sessions.forward_auth, target)
    location = (b"location", url.encode())
    if redirect and json_answer.wants_json(headers.get("accept")):
        # An API client cannot follow a redirect to an HTML page: it gets the reason and where a browser signs in.
        body = json_answer.body(json_answer.STEP_UP_REQUIRED if step_up else json_answer.LOGIN_REQUIRED, url)
        await send({"type": "http.response.start", "status": 401, "headers": [
            _JSON, (b"content-length", str(len(body)).encode()), location, _NO_STORE]})
        await send({"type": "http.response.body", "body": body})  # fmt: skip
        return
    status = (302 if target.method in ("GET", "HEAD") else 303) if redirect else 401
    await _answer(send, status, [location, _NO_STORE, (b"content-length", b"0")])


async def check(bridge: Bridge, scope: Scope, send: Send, redirect: bool) -> None:
    settings = bridge.sessions.forward_auth
    headers = _headers(scope)
    target = target_from_headers(headers)
    if target is None:
        msg = "forward-auth: the proxy sent no valid X-Forwarded-Proto/Host/Uri"
        return await _refuse(bridge, scope, send, 400, msg, "bad_target")
    if target.host not in settings.protected_hosts:
        msg = "forward-auth: this host is not protected"
        return await _refuse(bridge, scope, send, 403, msg, "host_not_protected")
    rule: RouteRule | None = None
    if settings.rules:
        try:
            rule = matching_rule(settings.rules, target.host, target.uri)
        except AmbiguousPath:
            msg = f"forward-auth: {AMBIGUOUS_PATH.reason}"
            return await _refuse(bridge, scope, send, 400, msg, AMBIGUOUS_PATH.code)
    raw = cookie_value(headers.get("cookie"), bridge.session_cookie.name)
    if raw is None:
        return await _sign_in(bridge, send, target, redirect, headers)
    token = bridge.session_cookie.unsign(raw)
    if token is None:
        await bridge.auditor.record(
            "forward_auth.rejected", "failure", request=Request(scope), reason="bad_session_cookie"
        )
        return await _sign_in(bridge, send, target, redirect, headers)
    now = bridge.clock.now()
    entry = await live_session(bridge, token, now, cached=True)
    if entry is None:
        return await _sign_in(bridge, send, target, redirect, headers)
    live = entry.session
    if rule is not None and not meets(rule, SessionEvidence(live.amr, live.auth_time, live.acr), now):
        # step-up: the sign-in page knows the rule too
        return await _sign_in(bridge, send, target, redirect, headers, step_up=True)
    await _answer(send, 200, list(entry.raw_headers))


class ForwardAuthFastPath:
    """Answers the forward-auth paths before routing; everything else goes on to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in PATHS and scope["method"] in ("GET", "HEAD"):
            bridge: Bridge = scope["app"].state.bridge
            try:
                await check(bridge, scope, send, PATHS[scope["path"]])
            except StoreError as exc:
                if isinstance(exc, DuplicateKey):
                    raise
                # Fail closed: the proxy refuses the request; checks read before they answer, so nothing was sent.
                _log.error("forward-auth: store unavailable: %s", exc)
                await _answer(send, 503, [_STORE_RETRY_AFTER, _NO_STORE])
            return
        await self.app(scope, receive, send)
