"""ASGI middleware, outermost: the request context (real client address, request id, user agent) for everything
below, `X-Request-ID` on the response, and one access-log line per request.

A trusted proxy's `X-Request-ID` is kept (so one id follows a request through proxy and bridge logs), else a new
one is made. The client address and scheme the trusted proxy reports replace the TCP peer's in the ASGI scope, so
every reader of `request.client` (audit, MFA send caps, client-authentication back-off, session records) gets the
real client. Forward-auth 200s are the proxy's hot path: logged at `forward_auth_success_sample_rate` only.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
import time
from collections.abc import Collection
from http import HTTPStatus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from idp_bridge.observability import request_context
from idp_bridge.observability.client_address import TrustedProxies
from idp_bridge.observability.query_redaction import redacted_query
from idp_bridge.observability.request_context import RequestContext

_access = logging.getLogger("idp_bridge.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_READ = {b"x-forwarded-for", b"forwarded", b"x-forwarded-proto", b"x-request-id", b"user-agent"}
MAX_USER_AGENT = 256
MAX_ROUTE = 200


def _route(scope: Scope) -> str:
    """The route template (`/callback/{provider}`), never the filled-in path; unrouted paths as sent, cut short."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    path: str = scope.get("path", "")
    return path if len(path) <= MAX_ROUTE else path[:MAX_ROUTE] + "..."


def _status_reason(status: int) -> str:
    """A refusal no audit event explained (a 404, a 405): its status in words, `not_found`."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_")
    except ValueError:
        return f"http_{status}"


class RequestObservability:
    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_proxies: TrustedProxies,
        access_log: bool,
        hot_paths: Collection[str] = (),
        hot_success_sample_rate: float = 0.0,
    ) -> None:
        self.app = app
        self.proxies = trusted_proxies
        self.access_log = access_log
        self.hot_paths = frozenset(hot_paths)
        self.sample_rate = hot_success_sample_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found: dict[bytes, list[str]] = {}
        for name, value in scope["headers"]:
            if name in _READ:
                found.setdefault(name, []).append(value.decode("latin-1"))
        client = scope.get("client")
        peer = client[0] if client else None
        incoming_id = None
        if peer is not None and self.proxies.trusts(peer):
            forwarded = found.get(b"forwarded")
            proto = found.get(b"x-forwarded-proto")
            real = self.proxies.resolve(
                peer, ", ".join(forwarded) if forwarded else None, found.get(b"x-forwarded-for", []),
                proto[-1] if proto else None,
            )  # fmt: skip
            scope["client"] = (real.client_ip, 0)
            if real.scheme is not None:
                scope["scheme"] = real.scheme
            peer = real.client_ip
            sent_id = found.get(b"x-request-id")
            if sent_id and _REQUEST_ID.fullmatch(sent_id[0]):
                incoming_id = sent_id[0]
        agent = found.get(b"user-agent")
        context = RequestContext(
            request_id=incoming_id or secrets.token_hex(16),
            client_ip=peer,
            user_agent=agent[0][:MAX_USER_AGENT] if agent else None,
        )
        id_header = (b"x-request-id", context.request_id.encode())
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), id_header]}
            await send(message)

        token = request_context.enter(context)
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # Left set: Starlette's server-error handler, outside this middleware, logs the exception next and
            # its line should carry the request id too (each request is its own task: nothing else inherits it).
            token = None
            raise
        finally:
            if self.access_log:
                self._log(scope, context, status, time.perf_counter() - started)
            if token is not None:
                request_context.leave(token)

    def _log(self, scope: Scope, context: RequestContext, status: int, seconds: float) -> None:
        if status == 200 and scope["path"] in self.hot_paths and random.random() >= self.sample_rate:  # noqa: S311
            return
        route = _route(scope)
        query = redacted_query(scope.get("query_string", b""))
        fields = {
            "request_id": context.request_id, "method": scope["method"], "route": route, "query": query,
            "status": status, "duration_ms": round(seconds * 1000, 2), "client_ip": context.client_ip,
            "user_id": context.user_id, "user_agent": context.user_agent,
        }  # fmt: skip
        if status >= 400:
            fields["reason"] = context.reason or _status_reason(status)
        text = f"{scope['method']} {route}{'?' + query if query else ''} {status} {fields['duration_ms']}ms"
        text += f" client={context.client_ip or '-'} user={context.user_id or '-'}"
        if status >= 400:
            text += f" reason={fields['reason']}"
        level = logging.ERROR if status >= 500 else logging.INFO
        _access.log(level, text, extra={"fields": fields})
