"""The app factory: `create_app(config)` wires store, providers, keys and endpoints into one Starlette app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import httpx2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from idp_bridge.admin.api.routes import ADMIN_API_ROUTES
from idp_bridge.admin.console.routes import ADMIN_UI_ROUTES
from idp_bridge.audit.recorder import AuditBuffering, Auditor
from idp_bridge.bridge import Bridge
from idp_bridge.clock import Clock, SystemClock
from idp_bridge.config.model import Config
from idp_bridge.endpoints.routes import ENDPOINT_ROUTES
from idp_bridge.forward_auth import sign_in as forward_auth_sign_in
from idp_bridge.forward_auth.check import PATHS as FORWARD_AUTH_PATHS
from idp_bridge.forward_auth.check import ForwardAuthFastPath
from idp_bridge.forward_auth.target import ForwardAuthSettings
from idp_bridge.mfa.pages.routes import MFA_ROUTES
from idp_bridge.mfa.services import build_mfa
from idp_bridge.observability.access_log import RequestObservability
from idp_bridge.observability.client_address import TrustedProxies
from idp_bridge.oidc.portals import PortalRegistry
from idp_bridge.oidc.signing_keys import SigningKeys
from idp_bridge.policy.source import PolicySource
from idp_bridge.sessions.cookie import SessionCookie
from idp_bridge.sessions.end import end_sessions_the_policy_refuses, sweep_expired_sessions
from idp_bridge.sessions.runtime import SessionRuntime
from idp_bridge.sessions.sweep import SHUTDOWN_DRAIN_SECONDS, sweep_periodically
from idp_bridge.store.protocol.core import RETRY_AFTER_SECONDS, DuplicateKey, Store, StoreError
from idp_bridge.store.sqlite.core import SQLiteStore
from idp_bridge.web.pages import error_page
from idp_bridge.web.security_headers import SecurityHeaders, hsts_header
from idp_bridge.wiring import build_providers
from providers.base import Provider

_log = logging.getLogger("idp_bridge")

PURGE_INTERVAL_SECONDS = 300.0


async def _purge_periodically(
    store: Store, clock: Clock, before: Callable[[], Awaitable[object]] | None = None
) -> None:
    """Expired auth requests, flows, codes, tokens and sessions are deleted in the background; audit never.
    `before` runs first (the session sweep: sessions that ran out are ended, and portals told, before deletion)."""
    while True:
        await asyncio.sleep(PURGE_INTERVAL_SECONDS)
        try:
            if before is not None:
                await before()
            removed = await store.purge_expired(clock.now())
            _log.info("purged %d expired records", removed)
        except Exception:
            _log.exception("purging expired records failed; will retry")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        page = error_page(404, "Page not found", "There is nothing at this address.")
    elif status == 405:
        page = error_page(405, "Method not allowed", f"{request.method} is not supported here.")
    else:
        page = error_page(status, "Request failed", "The request could not be handled.")
    if isinstance(exc, HTTPException) and exc.headers:
        page.headers.update(exc.headers)  # e.g. Allow on a 405 (RFC 9110 §15.5.6)
    return page


# Callers of these paths are programs (portals, proxies, API clients, the session timer): they get JSON.
_JSON_PATHS = ("/admin/api/", "/token", "/userinfo", "/introspect", "/session/status", "/forward-auth")


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    """A store that cannot serve is a dependency that is down: 503, fail closed (the forward-auth fast path answers
    its own 503: forward_auth.check). A duplicate key is a bug, not an outage: it stays a 500."""
    if isinstance(exc, DuplicateKey) or not isinstance(exc, StoreError):
        raise exc
    _log.error("store unavailable on %s %s: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    message = "The bridge cannot reach its data store right now. Nothing was changed; try again in a few seconds."
    if request.url.path.startswith(_JSON_PATHS):
        body = {"error": "temporarily_unavailable", "error_description": message}
        return JSONResponse(body, status_code=503, headers=headers)
    page = error_page(503, "Temporarily unavailable", message)
    page.headers.update(headers)
    return page


async def _server_error(request: Request, exc: Exception) -> Response:
    _log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_page(500, "Something went wrong", "The bridge hit an unexpected error. Nothing was changed.")


def create_app(
    config: Config,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    providers: Mapping[str, Provider] | None = None,
    http: httpx2.AsyncClient | None = None,
) -> Starlette:
    clock = clock or SystemClock()
    store = store or SQLiteStore(config.store.path, config.store.busy_timeout_ms)
    http_client = http or httpx2.AsyncClient(timeout=10.0, follow_redirects=False)
    bridge = Bridge(
        config=config,
        store=store,
        clock=clock,
        providers=providers if providers is not None else build_providers(config, http_client, clock),
        keys=SigningKeys.load_or_create(
            config.signing.key_file, config.signing.algorithm, reload_seconds=config.signing.reload_seconds
        ),
        portals=PortalRegistry.from_config(config),
        policy=PolicySource(store, config, clock),
        auditor=Auditor(store, clock),
        session_cookie=SessionCookie(
            config.server.secret_key.get_secret_value(),
            config.sessions.cookie_name,
            secure=not config.server.dev_mode,
            domain=config.sessions.cookie_domain,
        ),
        sessions=SessionRuntime(http_client, ForwardAuthSettings.from_config(config)),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open()
        await end_sessions_the_policy_refuses(bridge)
        sweep = asyncio.create_task(sweep_periodically(bridge))
        purge = asyncio.create_task(_purge_periodically(store, clock, before=lambda: sweep_expired_sessions(bridge)))
        try:
            yield
        finally:
            for task in (purge, sweep):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await bridge.sessions.drain(timeout=SHUTDOWN_DRAIN_SECONDS)
            await store.close()
            if http is None:
                await http_client.aclose()

    routes = [
        *ENDPOINT_ROUTES,
        Route("/forward-auth/sign-in", forward_auth_sign_in.sign_in, methods=["GET"]),
        *MFA_ROUTES,
        *ADMIN_API_ROUTES,
        *ADMIN_UI_ROUTES,
        Mount("/static", StaticFiles(packages=[("idp_bridge", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            # Outermost: the real client address and the request id, for everything below and the access log.
            Middleware(
                RequestObservability,
                trusted_proxies=TrustedProxies(config.server.trusted_proxies),
                access_log=config.logging.access_log,
                hot_paths=FORWARD_AUTH_PATHS,
                hot_success_sample_rate=config.logging.forward_auth_success_sample_rate,
            ),
            Middleware(
                SecurityHeaders,
                extra=hsts_header(config.server.hsts_max_age_seconds, dev_mode=config.server.dev_mode),
            ),
            Middleware(ForwardAuthFastPath),
            # After the forward-auth fast path: that hot path keeps writing its rare events at once.
            Middleware(AuditBuffering, auditor=bridge.auditor),
        ],
        exception_handlers={HTTPException: _http_error, StoreError: _store_unavailable, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.bridge = bridge
    app.state.mfa = build_mfa(config, http_client)
    return app


@contextlib.asynccontextmanager
async def command_bridge(config: Config, clock: Clock | None = None) -> AsyncIterator[Bridge]:
    """The bridge's machinery without serving, for admin commands: the store opened, no upstream providers and
    no startup housekeeping; on exit, back-channel logouts still running get SHUTDOWN_DRAIN_SECONDS to finish."""
    async with httpx2.AsyncClient(timeout=10.0, follow_redirects=False) as http:
        bridge: Bridge = create_app(config, clock=clock, providers={}, http=http).state.bridge
        await bridge.store.open()
        try:
            yield bridge
        finally:
            await bridge.sessions.drain(timeout=SHUTDOWN_DRAIN_SECONDS)
            await bridge.store.close()
