"""Sending the browser to an upstream provider (flow step 2): flow state kept server-side, browser bound."""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.store.records.core import AuthRequest, LoginFlow, secret_hash
from idp_bridge.web.pages import NO_STORE, unavailable_page
from providers.base import LoginOptions, ProviderError

_log = logging.getLogger("idp_bridge.login")


def browser_binding(bridge: Bridge, request: Request) -> str | None:
    value = request.cookies.get(bridge.browser_cookie_name)
    return value if value and len(value) <= 64 else None


def binding_matches(bridge: Bridge, request: Request, expected_hash: str) -> bool:
    value = browser_binding(bridge, request)
    return value is not None and hmac.compare_digest(secret_hash(value), expected_hash)


async def start_upstream(
    bridge: Bridge,
    request: Request,
    auth_request: AuthRequest,
    provider_id: str,
    now: float,
    *,
    store_request: bool = False,
) -> Response:
    """`store_request`: `auth_request` is not stored yet; it is stored with the login flow, in one write."""
    provider = bridge.providers[provider_id]
    prompt = "login" if auth_request.prompt and "login" in auth_request.prompt.split(" ") else None
    options = LoginOptions(login_hint=auth_request.login_hint, prompt=prompt, max_age=auth_request.max_age)
    try:
        start = await provider.start_login(bridge.callback_url(provider_id), options)
    except ProviderError as exc:
        await bridge.auditor.record(
            "login.failed", "failure", request=request, client_id=auth_request.client_id,
            provider_id=provider_id, reason=exc.error_code, description=exc.message,
        )  # fmt: skip
        _log.warning("login via %s could not start: %s", provider_id, exc.message)
        retry = _retry_url(request, auth_request, provider_id, stored=not store_request)
        return unavailable_page(provider.display_name, retry)
    # A new value at every upstream login, never one the browser brings: a value planted in the victim's
    # browser (cookie tossing from a sibling host) must not match a login the attacker started with it.
    binding = secrets.token_urlsafe(24)
    await bridge.store.put_login_flow(
        LoginFlow(
            state=start.state,
            provider_id=provider_id,
            auth_request_id=auth_request.id,
            flow_state=dict(start.flow_state),
            browser_binding_hash=secret_hash(binding),
            created_at=now,
            expires_at=now + bridge.config.sessions.login_timeout_seconds,
        ),
        request=auth_request if store_request else None,
    )
    response = RedirectResponse(start.url, status_code=303, headers=NO_STORE)
    response.set_cookie(
        bridge.browser_cookie_name,
        binding,
        httponly=True,
        secure=not bridge.config.server.dev_mode,
        samesite="lax",
        path="/",  # `__Host-` requires Path=/ outside dev mode
    )
    return response



def login_retry_url(provider_id: str, request_id: str) -> str:
    """The login step again, for a portal request that is still stored (the upstream could not be reached)."""
    return f"/login/{quote(provider_id, safe='')}?request={quote(request_id, safe='')}"


def _retry_url(request: Request, auth_request: AuthRequest, provider_id: str, *, stored: bool) -> str | None:
    """Where "Try again" goes: the login step of a stored portal request, or this very GET (an /authorize
    whose request is only stored with its login flow); a POST cannot be repeated by a link."""
    if stored:
        return login_retry_url(provider_id, auth_request.id)
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return None
