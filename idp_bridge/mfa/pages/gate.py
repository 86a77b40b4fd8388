"""Between the first factor and the session (flow step 4): sign in on trusted upstream MFA, or park the login as a
pending login and send the browser to the second-factor pages; and, once a second factor succeeded, finish it."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.flow import SignIn, after_first_factor
from idp_bridge.mfa import remembered_devices
from idp_bridge.mfa.factors import send_otp
from idp_bridge.mfa.methods import destination, method_for
from idp_bridge.mfa.pages.common import audit_send, client_ip
from idp_bridge.mfa.services import MFAServices, mfa_services
from idp_bridge.oidc.assurance import demanded_acr, local_factor_assurance, mfa_demanded, upstream_assurance
from idp_bridge.roles.effective import technician_mfa
from idp_bridge.sessions.browser import redirect_with_code, set_session_cookie, start_session, step_up_in_place
from idp_bridge.sessions.limits import identity_facts
from idp_bridge.store.records.core import AuthRequest, Session, User, secret_hash
from idp_bridge.store.records.mfa import PendingLogin
from idp_bridge.store.records.session_rules import SessionIdentity
from idp_bridge.web.pages import NO_STORE, error_page
from policies.admin_authorization import combine_roles
from policies.mfa_requirement import mfa_required
from policies.mfa_trust import upstream_mfa
from providers.base import Identity


async def after_upstream_login(
    bridge: Bridge,
    request: Request,
    auth_request: AuthRequest,
    user: User,
    identity: Identity,
    mapped_role: str | None,
    now: float,
) -> Response:
    """`mapped_role`: the role this login's groups map to, as just recorded (role_mapping.record_mapped_role)."""
    mfa = mfa_services(request)
    settings = await bridge.store.get_mfa_settings(user.id)
    verdict = upstream_mfa(identity, mfa.trust_for(identity), now)
    demanded = mfa_demanded(auth_request.acr_values)
    role = combine_roles(settings.role, mapped_role)  # the effective role (roles/effective.py), read once for the login
    technician = await technician_mfa(bridge.store, settings, role)
    requirement = mfa_required(mfa.requirement, auth_request.client_id, technician, requested_by_portal=demanded)
    step = after_first_factor(identity, verdict, requirement, demanded=demanded, remembered=False)
    if not isinstance(step, SignIn) and not demanded:
        remembered = await remembered_devices.is_remembered(mfa, bridge.store, bridge.auditor, request, user.id, now)
        step = after_first_factor(identity, verdict, requirement, demanded=demanded, remembered=remembered)
    auth_time = identity.auth_time if identity.auth_time is not None else int(now)
    if isinstance(step, SignIn):
        assurance = upstream_assurance(identity.amr, mfa_proven=step.mfa == "upstream", auth_time=auth_time)
        session, token = await start_session(
            bridge, request, user, identity, now, assurance=assurance, facts=identity_facts(identity), role=role
        )
        await bridge.auditor.record(
            "login.success", "success", request=request, user_id=user.id, client_id=auth_request.client_id,
            provider_id=identity.provider_id, session_id=session.id, amr=list(session.amr), acr=session.acr,
            mfa=step.mfa, upstream_mfa=verdict.reason, evidence=list(verdict.evidence),
        )  # fmt: skip
        response = await redirect_with_code(bridge, request, auth_request, session, now, consume_request=True)
        set_session_cookie(bridge, response, token)
        return response
    await bridge.auditor.record(
        "mfa.step_up.required", "success", request=request, user_id=user.id, client_id=auth_request.client_id,
        provider_id=identity.provider_id, reason=step.reason, upstream_mfa=verdict.reason,
    )  # fmt: skip
    return await begin_step_up(
        bridge, mfa, request, auth_request, user, identity.provider_id, identity.amr, auth_time, None, now,
        facts=identity_facts(identity),
    )  # fmt: skip


async def step_up_session(
    bridge: Bridge, request: Request, auth_request: AuthRequest, session: Session, now: float
) -> Response:
    """A portal asked for MFA and the live session lacks it (or is too old): the second factor only."""
    user = await bridge.store.get_user(session.user_id)
    if user is None or user.disabled:
        return error_page(403, "Account disabled", "Your account is disabled. Contact your security team.")
    await bridge.store.put_auth_request(auth_request)
    await bridge.auditor.record(
        "mfa.step_up.required", "success", request=request, user_id=user.id, client_id=auth_request.client_id,
        provider_id=session.provider_id, session_id=session.id, reason="requested_by_portal",
    )  # fmt: skip
    return await begin_step_up(
        bridge, mfa_services(request), request, auth_request, user, session.provider_id, session.amr,
        session.auth_time, session.id, now, facts=None,
    )  # fmt: skip


async def begin_step_up(
    bridge: Bridge, mfa: MFAServices, request: Request, auth_request: AuthRequest, user: User, provider_id: str,
    upstream_amr: tuple[str, ...], upstream_auth_time: int, step_up_session_id: str | None, now: float, *,
    facts: SessionIdentity | None,
) -> Response:  # fmt: skip
    """Park the login (or the live session's step-up) as a pending login; `facts` (a new login's identity facts)
    travel with it to the session it opens."""
    token = secrets.token_urlsafe(32)
    pending = PendingLogin(
        token_hash=secret_hash(token), user_id=user.id, auth_request_id=auth_request.id, provider_id=provider_id,
        csrf_token=secrets.token_urlsafe(24), upstream_amr=tuple(upstream_amr),
        upstream_auth_time=upstream_auth_time, created_at=now,
        expires_at=now + bridge.config.sessions.login_timeout_seconds, step_up_session_id=step_up_session_id,
        identity=facts,
    )  # fmt: skip
    await bridge.store.put_pending_login(pending)
    settings = await bridge.store.get_mfa_settings(user.id)
    method = method_for(mfa, settings, user, demanded_acr(auth_request.acr_values))
    if method in ("email", "sms"):
        to = destination(settings, user, method) or ""
        sent = await send_otp(mfa, bridge.store, user.id, method, to, now, client_ip(request))
        if sent.challenge is not None:
            await bridge.store.set_pending_challenge(pending.token_hash, sent.challenge.id)
        await audit_send(bridge, request, user.id, method, sent)  # a capped send: the page says when to ask again
    response = RedirectResponse("/mfa", status_code=303, headers=NO_STORE)
    mfa.pending_cookie.set(response, token, max_age=bridge.config.sessions.login_timeout_seconds)
    return response


async def finish_login(
    bridge: Bridge, request: Request, pending: PendingLogin, method: str, now: float, *, remember: bool = False
) -> Response:
    """The second factor succeeded and `pending` was taken from the store: session (id rotated), code, redirect."""
    mfa = mfa_services(request)
    auth_request = await bridge.store.get_auth_request(pending.auth_request_id, now)
    user = await bridge.store.get_user(pending.user_id)
    if auth_request is None or user is None or user.disabled:
        return error_page(
            400, "Sign-in expired", "Signing in took too long. Go back to the application and sign in again."
        )
    assurance = local_factor_assurance(pending.upstream_amr, method, int(now))
    if pending.step_up_session_id is not None:  # a live session gains the second factor; it is not replaced
        live = await bridge.store.get_session(pending.step_up_session_id, now)
        stepped = await step_up_in_place(bridge, request, live, assurance, now) if live is not None else None
        if stepped is None:
            return error_page(400, "Session ended", "Your session ended meanwhile. Go back to the application.")
        session, token = stepped
    else:  # a new session, under the concurrency rule (the pending login never counted as one)
        identity = Identity(provider_id=pending.provider_id, issuer=user.issuer, subject=user.subject)
        session, token = await start_session(
            bridge, request, user, identity, now, assurance=assurance, facts=pending.identity
        )
    await bridge.auditor.record(
        "login.success", "success", request=request, user_id=user.id, client_id=auth_request.client_id,
        provider_id=pending.provider_id, session_id=session.id, amr=list(session.amr), acr=session.acr,
        mfa=method, stepped_up_session=pending.step_up_session_id,
    )  # fmt: skip
    response = await redirect_with_code(bridge, request, auth_request, session, now, consume_request=True)
    set_session_cookie(bridge, response, token)
    mfa.pending_cookie.clear(response)
    if remember:
        await remembered_devices.remember(mfa, bridge.store, bridge.auditor, request, response, user.id, now)
    return response
