"""GET /forward-auth/sign-in?rd=URL: where forward-auth sends a browser without a (good enough) session.

The request is treated as a login of the forward-auth pseudo-portal asking for `acr_values=urn:idp-bridge:loa:2`
with `max_age=N` when the route of `rd` needs MFA within N seconds, and flow.after_authorize decides: a live
session whose MFA is missing or older is stepped up with the local second factor only (no new upstream login;
the session keeps its id and gains `mfa` in its amr and a new auth_time); without a session, the upstream login
and then, unless the upstream proved MFA, the local factor. Only URLs on forward_auth.protected_hosts are ever
returned to.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.built_in_sign_in import built_in_sign_in
from idp_bridge.config.session_model import FORWARD_AUTH_CLIENT_ID
from idp_bridge.endpoints.signed_out import notice_page, signed_out_notice
from idp_bridge.forward_auth.target import return_target, sign_in_url
from idp_bridge.oidc.assurance import ACR_MULTI_FACTOR
from idp_bridge.sessions.access import live_session
from idp_bridge.web.pages import NO_STORE, error_page
from idp_bridge.web.request_params import ParameterError, query_params
from policies.route_rules import AMBIGUOUS_PATH, AmbiguousPath, SessionEvidence, matching_rule, meets

_NOT_PROTECTED = (
    "The address to return to after signing in is not an application protected by this sign-in service."
)
_NOT_HTTPS = "The address to return to after signing in must use https, like this sign-in service."


async def sign_in(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    settings = bridge.sessions.forward_auth
    now = bridge.clock.now()
    try:
        params = query_params(request, max(bridge.max_param, 4096))
    except ParameterError as exc:
        await bridge.auditor.record("forward_auth.rejected", "failure", request=request, reason="bad_parameters")
        return error_page(exc.status, "Invalid sign-in request", exc.message)
    target = return_target(params.get("rd", ""), settings)
    if target is None:
        rd = params.get("rd", "")
        if settings.https_only and rd[:5].lower() == "http:":  # a downgrade, whatever the host
            await bridge.auditor.record(
                "forward_auth.rejected", "failure", request=request, reason="insecure_return_url"
            )
            return error_page(400, "Invalid sign-in request", _NOT_HTTPS)
        await bridge.auditor.record("forward_auth.rejected", "failure", request=request, reason="bad_return_url")
        return error_page(400, "Invalid sign-in request", _NOT_PROTECTED)
    try:
        rule = matching_rule(settings.rules, target.host, target.uri)
    except AmbiguousPath:
        await bridge.auditor.record("forward_auth.rejected", "failure", request=request, reason=AMBIGUOUS_PATH.code)
        return error_page(400, "Invalid sign-in request", AMBIGUOUS_PATH.reason)
    token = bridge.session_cookie.read(request)
    entry = await live_session(bridge, token, now, cached=False) if token else None
    session = entry.session if entry is not None else None
    evidence = SessionEvidence(session.amr, session.auth_time, session.acr) if session is not None else None
    if evidence is not None and (rule is None or meets(rule, evidence, now)):
        return RedirectResponse(target.url, status_code=303, headers=NO_STORE)
    if session is None and token is not None:
        notice = await signed_out_notice(bridge, request, now)
        if notice is not None:
            return await notice_page(bridge, request, notice, sign_in_url(settings, target))
    return await built_in_sign_in(
        bridge, request, client_id=FORWARD_AUTH_CLIENT_ID, target=target.url, session=session,
        acr_values=(rule.acr or ACR_MULTI_FACTOR) if rule is not None else None,
        max_age=rule.mfa_max_age_seconds if rule is not None else None, now=now,
    )  # fmt: skip
