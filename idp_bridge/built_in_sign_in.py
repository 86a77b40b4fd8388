"""Signing in for the bridge's built-in pseudo-portals (forward-auth, the admin console): one login request, the
same dispatcher as /authorize (flow.after_authorize), and back to a bridge or proxy URL without a code.

The caller has found the live session (or None) and checked where to return; this builds the request (no code is
ever issued, so no PKCE challenge, state or nonce) and acts on the step: back at once when the session already
satisfies it, the local second factor only for a live session that needs a step-up, a refusal page (audited),
or the provider choice / upstream login.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.endpoints.upstream_start import start_upstream
from idp_bridge.flow import ErrorToPortal, IssueCode, Refuse, StartUpstream, StepUp, after_authorize
from idp_bridge.mfa.pages.gate import step_up_session
from idp_bridge.store.records.core import AuthRequest, Session
from idp_bridge.web.pages import NO_STORE, error_page


async def built_in_sign_in(
    bridge: Bridge, request: Request, *, client_id: str, target: str, session: Session | None,
    acr_values: str | None, max_age: int | None, now: float,
) -> Response:  # fmt: skip
    auth_request = AuthRequest(
        id=secrets.token_urlsafe(24), client_id=client_id, redirect_uri=target, scope="openid", state=None,
        nonce=None, code_challenge="-", prompt=None, max_age=max_age, login_hint=None, acr_values=acr_values,
        provider_hint=None, created_at=now, expires_at=now + bridge.config.sessions.login_timeout_seconds,
    )  # fmt: skip
    step = after_authorize(auth_request, session, await bridge.policy.rules(), now)
    if isinstance(step, IssueCode):  # the live session already satisfies the request
        return RedirectResponse(target, status_code=303, headers=NO_STORE)
    if isinstance(step, StepUp) and step.session is not None:
        return await step_up_session(bridge, request, auth_request, step.session, now)
    if isinstance(step, Refuse | ErrorToPortal):  # (ErrorToPortal needs prompt=none, which is never asked here)
        reason = step.page.audit_code if isinstance(step, Refuse) else step.error
        await bridge.auditor.record("login.denied", "denied", request=request, client_id=client_id, reason=reason)
        if isinstance(step, Refuse):
            return error_page(step.page.status, step.page.title, step.page.message)
        return error_page(403, "Sign-in not possible", step.description)
    if isinstance(step, StartUpstream):  # the request is stored with the login flow
        return await start_upstream(bridge, request, auth_request, step.provider_id, now, store_request=True)
    await bridge.store.put_auth_request(auth_request)
    return RedirectResponse(f"/login?request={auth_request.id}", status_code=303, headers=NO_STORE)
