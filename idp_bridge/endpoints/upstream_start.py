"""Sending the browser to an upstream provider (flow step 2): flow state kept server-side, browser bound."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.store.records.core import AuthRequest, LoginFlow, secret_hash
from idp_bridge.web.pages import NO_STORE, error_page
from providers.base import LoginOptions, ProviderError


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
        return error_page(502, "Sign-in provider unavailable", exc.message)
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
