"""GET|POST /authorize: a portal asks the bridge to sign a technician in (flow step 1)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.endpoints.signed_out import notice_page, signed_out_notice
from idp_bridge.endpoints.upstream_start import start_upstream
from idp_bridge.flow import ErrorToPortal, IssueCode, Refuse, StartUpstream, StepUp, after_authorize
from idp_bridge.mfa.pages.gate import step_up_session
from idp_bridge.oidc.authorize_request import AuthorizeError, validate_authorize
from idp_bridge.oidc.errors import PageError
from idp_bridge.sessions.browser import current_session, redirect_with_code
from idp_bridge.web.pages import NO_STORE, error_page
from idp_bridge.web.portal_redirect import error_redirect
from idp_bridge.web.request_params import ParameterError, all_params


async def authorize(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    now = bridge.clock.now()
    try:
        params = await all_params(request, bridge.max_param)
        auth_request = validate_authorize(
            params, bridge.portals, now=now, lifetime=bridge.config.sessions.login_timeout_seconds
        )
    except ParameterError as exc:
        await bridge.auditor.record("authorize.rejected", "failure", request=request, reason=exc.message)
        return error_page(exc.status, "Invalid sign-in request", exc.message)
    except PageError as exc:
        await bridge.auditor.record(
            "authorize.rejected", "failure", request=request, reason=exc.audit_code,
            client_id=_short(params.get("client_id")),
        )  # fmt: skip
        return error_page(exc.status, exc.title, exc.message)
    except AuthorizeError as exc:
        await bridge.auditor.record(
            "authorize.rejected", "failure", request=request, client_id=params.get("client_id"),
            reason=exc.error, description=exc.description,
        )  # fmt: skip
        return error_redirect(exc.redirect_uri, exc.error, exc.description, exc.state, bridge.issuer)

    session = await current_session(bridge, request, now)
    step = after_authorize(auth_request, session, await bridge.policy.rules(), now)
    if isinstance(step, IssueCode):
        return await redirect_with_code(bridge, request, auth_request, step.session, now)
    if isinstance(step, StepUp) and step.session is not None:
        return await step_up_session(bridge, request, auth_request, step.session, now)
    if isinstance(step, ErrorToPortal):
        await bridge.auditor.record(
            "authorize.rejected",
            "failure",
            request=request,
            client_id=auth_request.client_id,
            reason=step.error,
        )
        return error_redirect(
            auth_request.redirect_uri, step.error, step.description, auth_request.state, bridge.issuer
        )
    if isinstance(step, Refuse):
        await bridge.auditor.record(
            "login.denied", "denied", request=request, client_id=auth_request.client_id,
            provider_id=auth_request.provider_hint, reason=step.page.audit_code,
        )  # fmt: skip
        return error_page(step.page.status, step.page.title, step.page.message)
    notice = await signed_out_notice(bridge, request, now) if session is None else None
    if notice is None and isinstance(step, StartUpstream):  # the request is stored with the login flow
        return await start_upstream(bridge, request, auth_request, step.provider_id, now, store_request=True)
    await bridge.store.put_auth_request(auth_request)
    if notice is not None:  # e.g. evicted by a login elsewhere: say so before signing in again
        return await notice_page(bridge, request, notice, f"/login?request={auth_request.id}")
    return RedirectResponse(f"/login?request={auth_request.id}", status_code=303, headers=NO_STORE)


def _short(value: str | None) -> str | None:
    return value[:128] if value else None
