"""GET|POST /callback/{provider}: the upstream hands the technician back (flow step 3), then session + code."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.bridge import Bridge
from idp_bridge.endpoints.upstream_start import binding_matches, login_retry_url
from idp_bridge.flow import Refuse, after_upstream
from idp_bridge.mfa.pages.gate import after_upstream_login
from idp_bridge.roles.mapping import record_mapped_role
from idp_bridge.web.pages import error_page, unavailable_page
from idp_bridge.web.request_params import ParameterError, all_params
from providers.base import CallbackInvalid, ProviderError, TokenRejected, UpstreamDenied, UpstreamUnavailable
from providers.upstream_http import sanitize

_log = logging.getLogger("idp_bridge.login")
_RESTART = "Go back to the application and start signing in again."
_STATUS = {UpstreamDenied: 403, CallbackInvalid: 400, TokenRejected: 400}


async def callback(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    now = bridge.clock.now()
    provider_id = request.path_params["provider_id"][:64]

    async def fail(status: int, title: str, message: str, reason: str, **audit: str | None) -> Response:
        await bridge.auditor.record(
            "login.failed", "failure", request=request, provider_id=provider_id, reason=reason, **audit
        )
        return error_page(status, title, message)

    try:
        params = await all_params(request, bridge.max_param)
    except ParameterError as exc:
        return await fail(exc.status, "Invalid sign-in response", exc.message, "bad_parameters")
    state = params.get("state")
    if not state and params.get("error"):
        # Some upstreams drop `state` from error responses (the user pressed "Deny"): say what happened.
        error = sanitize(params["error"], 64)
        return await fail(
            403, "Sign-in failed", f"The sign-in provider did not complete the login: {error}. {_RESTART}",
            "upstream_error_without_state", upstream_error=error,
        )  # fmt: skip
    if not state:
        return await fail(
            400, "Invalid sign-in response", f"The response carries no state. {_RESTART}", "missing_state"
        )
    unknown = f"This sign-in response is unknown, expired or was already used. {_RESTART}"
    # The binding is checked before the flow is taken: whoever holds a callback URL (a proxy log, a shoulder)
    # must not be able to cancel the login still in progress in the browser that started it.
    seen = await bridge.store.get_login_flow(state, now)
    if seen is None:
        return await fail(400, "Sign-in link expired", unknown, "unknown_state")
    if not binding_matches(bridge, request, seen.browser_binding_hash):
        return await fail(
            400, "Invalid sign-in response",
            f"This sign-in was started in another browser; it can only finish there. {_RESTART}",
            "browser_binding_mismatch",
        )  # fmt: skip
    flow = await bridge.store.take_login_flow(state, now)  # atomic: of two racing callbacks, one goes on
    if flow is None:
        return await fail(400, "Sign-in link expired", unknown, "unknown_state")
    if flow.provider_id != provider_id:
        return await fail(
            400, "Invalid sign-in response", f"The response came back from the wrong provider. {_RESTART}",
            "provider_mismatch",
        )  # fmt: skip
    auth_request = await bridge.store.get_auth_request(flow.auth_request_id, now)
    if auth_request is None:
        return await fail(
            400, "Sign-in expired", f"Signing in took too long. {_RESTART}", "auth_request_expired"
        )
    provider = bridge.providers.get(provider_id)
    if provider is None:
        return await fail(
            404, "Unknown sign-in provider", "There is no such sign-in provider.", "unknown_provider"
        )
    try:
        identity = await provider.finish_login(params, flow.flow_state, bridge.callback_url(provider_id))
    except UpstreamUnavailable as exc:
        await bridge.auditor.record(
            "login.failed", "failure", request=request, provider_id=provider_id, reason=exc.error_code,
            client_id=auth_request.client_id, description=exc.message,
        )  # fmt: skip
        _log.warning("login via %s could not finish: %s", provider_id, exc.message)
        return unavailable_page(provider.display_name, login_retry_url(provider_id, auth_request.id))
    except ProviderError as exc:
        status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 502)
        return await fail(
            status, "Sign-in failed", exc.message, exc.error_code, client_id=auth_request.client_id,
            description=exc.message,
        )  # fmt: skip

    if identity.cut_claims:  # the upstream sent over-long or control-laden claims (providers.claims): say so
        await bridge.auditor.record(
            "login.claims_cut", "success", request=request, client_id=auth_request.client_id,
            provider_id=provider_id, subject=identity.subject, claims=",".join(identity.cut_claims),
        )  # fmt: skip
    step = after_upstream(auth_request, identity, await bridge.policy.rules())
    if isinstance(step, Refuse):
        await bridge.auditor.record(
            "login.denied", "denied", request=request, client_id=auth_request.client_id,
            provider_id=provider_id, reason=step.page.audit_code, subject=identity.subject,
        )  # fmt: skip
        return error_page(step.page.status, step.page.title, step.page.message)

    user = await bridge.store.upsert_user(
        issuer=identity.issuer,
        subject=identity.subject,
        provider_id=provider_id,
        email=identity.email,
        name=identity.name,
        now=now,
    )
    if user.disabled:
        return await fail(
            403, "Account disabled", "Your account is disabled. Contact your security team.", "user_disabled",
            client_id=auth_request.client_id,
        )  # fmt: skip
    # The role mapped from upstream groups follows every login (not a disabled account's, refused above); it is
    # recorded before the MFA requirement and the session rules read the effective role.
    mapped_role = await record_mapped_role(bridge, request, user.id, identity)
    # Second factor (flow step 4), then session and code: trusted upstream MFA, not required, or a step-up.
    return await after_upstream_login(bridge, request, auth_request, user, identity, mapped_role, now)
