"""/account/mfa: a signed-in technician's own MFA settings: method, authenticator reconfiguration, recovery codes,
remembered devices, turning MFA off (with confirmation, where policy allows) or on. Saving settings signs the
technician out everywhere. Every change that weakens the technician's protection needs the current factor entered
on its form (mfa.pages.fresh_factor). Forms carry a CSRF token derived from the session."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.bridge import Bridge
from idp_bridge.mfa import admin, totp
from idp_bridge.mfa.factors import (
    Check,
    Verdict,
    confirm_enrollment,
    issue_recovery_codes,
)
from idp_bridge.mfa.methods import METHOD_NAMES, destination, effective_method
from idp_bridge.mfa.pages import fresh_factor
from idp_bridge.mfa.pages.common import read_form, retry_later, verdict_message
from idp_bridge.mfa.pages.login import codes_page, enrollment_page
from idp_bridge.mfa.services import MFAServices, mfa_services
from idp_bridge.roles.effective import technician_mfa
from idp_bridge.sessions.browser import current_session
from idp_bridge.store.records.core import Session, User
from idp_bridge.web.pages import error_page, render
from policies.mfa_requirement import may_turn_off, mfa_required

Handler = Callable[[Bridge, MFAServices, Request, Session, User, dict[str, str], float], Awaitable[Response]]
_NOT_SIGNED_IN = "You are not signed in. Sign in through one of your applications, then come back to this page."


def account_csrf(mfa: MFAServices, session: Session) -> str:
    return mfa.box.keyed_hash("account-csrf", session.token_hash)[:43]


async def _signed_in(bridge: Bridge, request: Request, now: float) -> tuple[Session, User] | Response:
    session = await current_session(bridge, request, now)
    user = await bridge.store.get_user(session.user_id) if session else None
    if session is None or user is None or user.disabled:
        await bridge.auditor.record("mfa.account.rejected", "failure", request=request, reason="not_signed_in")
        return error_page(401, "Not signed in", _NOT_SIGNED_IN)
    return session, user


def _account_post(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        bridge: Bridge = request.app.state.bridge
        mfa = mfa_services(request)
        now = bridge.clock.now()
        found = await _signed_in(bridge, request, now)
        if isinstance(found, Response):
            return found
        session, user = found
        params = await read_form(bridge, request, account_csrf(mfa, session), user.id)
        if isinstance(params, Response):
            return params
        return await handler(bridge, mfa, request, session, user, params, now)

    return endpoint


async def _page(bridge: Bridge, mfa: MFAServices, session: Session, user: User, now: float, *, status: int = 200,
                error: str | None = None, notice: str | None = None, challenge_id: str = "") -> Response:  # fmt: skip
    settings = await bridge.store.get_mfa_settings(user.id)
    technician = await technician_mfa(bridge.store, settings)
    authenticator = await bridge.store.get_totp(user.id)
    devices = await bridge.store.list_remembered_devices(user.id, now)
    method = effective_method(mfa, settings, user)
    return render(
        "account_mfa.html", status=status, error=error, notice=notice, time_hint=False, csrf=account_csrf(mfa, session),
        method=method, method_name=METHOD_NAMES[method], choice=settings.choice, enforced=settings.enforced,
        required=mfa_required(mfa.requirement, "", technician, requested_by_portal=False).required,
        may_choose=mfa.config.technician_may_choose_method, may_turn_off=may_turn_off(mfa.requirement, technician),
        methods=[{"id": m, "name": METHOD_NAMES[m], "available": m == "totp" or bool(destination(settings, user, m))}
                 for m in mfa.methods()],
        totp_active=authenticator is not None and authenticator.secret is not None,
        codes_left=await bridge.store.count_recovery_codes(user.id),
        locked=(await bridge.store.get_failures(user.id, "totp")).locked,
        devices=[{"id": d.id, "user_agent": d.user_agent, "created": _day(d.created_at), "expires": _day(d.expires_at)}
                 for d in devices],
        factor=await fresh_factor.factor_kind(bridge, mfa, user), challenge_id=challenge_id,
    )  # fmt: skip


def _day(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(at))


def _signed_out(mfa: MFAServices, bridge: Bridge, title: str, message: str) -> Response:
    response = render("account_mfa_saved.html", title=title, message=message)
    bridge.session_cookie.clear(response)
    mfa.device_cookie.clear(response)
    return response


async def show(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    now = bridge.clock.now()
    found = await _signed_in(bridge, request, now)
    if isinstance(found, Response):
        return found
    return await _page(bridge, mfa_services(request), found[0], found[1], now)


@_account_post
async def set_method(bridge: Bridge, mfa: MFAServices, request: Request, session: Session, user: User,
                     params: dict[str, str], now: float) -> Response:  # fmt: skip
    method = params.get("method", "")
    settings = await bridge.store.get_mfa_settings(user.id)
    if not mfa.config.technician_may_choose_method or method not in mfa.methods() or (
        method != "totp" and not destination(settings, user, method)
    ):  # fmt: skip
        await bridge.auditor.record(
            "mfa.settings.rejected", "failure", request=request, user_id=user.id, method=method[:16]
        )
        return await _page(bridge, mfa, session, user, now, status=400, error="That method cannot be chosen.")
    refused = await _without_factor(bridge, mfa, request, session, user, params, now, "mfa.settings.rejected")
    if refused is not None:
        return refused
    await admin.save_settings(bridge, user.id, request=request, method=method)
    await bridge.auditor.record("mfa.settings.changed", "success", request=request, user_id=user.id, method=method)
    return _signed_out(mfa, bridge, "Method saved", f"Your method is now: {METHOD_NAMES[method]}.")


@_account_post
async def revoke_device(bridge: Bridge, mfa: MFAServices, request: Request, session: Session, user: User,
                        params: dict[str, str], now: float) -> Response:  # fmt: skip
    device_id = params.get("device_id", "")
    if not await bridge.store.delete_remembered_device(user.id, device_id):
        return await _page(bridge, mfa, session, user, now, status=404, error="No such remembered device.")
    await bridge.auditor.record("mfa.remembered_device.revoked", "success", request=request, user_id=user.id,
                                device_id=device_id)  # fmt: skip
    return await _page(bridge, mfa, session, user, now, notice="The device was forgotten.")


async def _without_factor(bridge: Bridge, mfa: MFAServices, request: Request, session: Session, user: User,
                          params: dict[str, str], now: float, event: str) -> Response | None:  # fmt: skip
    """The refusal page (audited, nothing changed) unless the form carries the technician's current factor."""
    check = await fresh_factor.prove(bridge, mfa, user, params, now)
    if check.verdict is Verdict.OK:
        return None
    status, message = verdict_message(check, mfa.config.max_failures)
    await bridge.auditor.record(event, "failure", request=request, user_id=user.id, reason="factor",
                                verdict=check.verdict.value)  # fmt: skip
    return await _page(bridge, mfa, session, user, now, status=status, error=f"Nothing was changed. {message}",
                       challenge_id=params.get(fresh_factor.CHALLENGE_FIELD, ""))  # fmt: skip


@_account_post
async def send_code(bridge: Bridge, mfa: MFAServices, request: Request, session: Session, user: User,
                    params: dict[str, str], now: float) -> Response:  # fmt: skip
    """An email/SMS code to confirm a change on this page with (the forms then carry its challenge id)."""
    sent = await fresh_factor.send_code(bridge, mfa, request, user, now)
    if sent is None:
        return await _page(bridge, mfa, session, user, now, status=400, error="Your method does not use sent codes.")
    if sent.refused is not None:
        page = await _page(bridge, mfa, session, user, now, status=429,
                           error=f"You can request a new code in {sent.refused.retry_after} seconds.")  # fmt: skip
        return retry_later(page, sent.refused.retry_after)
    if sent.failure is not None or sent.challenge is None:
        return await _page(bridge, mfa, session, user, now, status=502,
                           error="The code could not be sent. Try again in a moment, or contact your security team.")
    return await _page(bridge, mfa, session, user, now, challenge_id=sent.challenge.id,
                       notice=f"A code was sent to {sent.destination}. Enter it on the form of the change you make.")


@_account_post
async def reset_codes(bridge: Bridge, mfa: MFAServices, request: Request, session: Session, user: User,
                      params: dict[str, str], now: float) -> Response:  # fmt: skip
    typed = params.get("reset_code", "")
    check = await fresh_factor.authenticator_code(bridge, mfa, user, typed, now, recovery_allowed=False)
    if check.verdict is not Verdict.OK:
        status, message = verdict_message(check, mfa.config.max_failures)
        await bridge.auditor.record("mfa.recovery_codes.reset_refused", "failure", request=request, user_id=user.id,
                                    verdict=check.verdict.value)  # fmt: skip
        return await _page(bridge, mfa, session, user, now, status=status, error=message)
    codes = await issue_recovery_codes(mfa, bridge.store, user.id, now)
    # Whoever held the old codes may have signed in with one or remembered a device: both end with them.
    ended = await admin.end_other_sessions(bridge, user.id, session.id, request)
    forgotten = await bridge.store.delete_remembered_devices(user.id)
    await bridge.auditor.record("mfa.recovery_codes.reset", "success", request=request, user_id=user.id,
                                sessions_ended=ended, devices_forgotten=forgotten)  # fmt: skip
    response = codes_page(codes, user, mfa, None, "", "Your old recovery codes no longer work; your other sessions "
                          "were signed out and remembered devices forgotten.")  # fmt: skip
    mfa.device_cookie.clear(response)
    return response


@_account_post
async def reconfigure(bridge: Bridge, mfa: MFAServices, request: Request, session: Session, user: User,
                      params: dict[str, str], now: float) -> Response:  # fmt: skip
    check = await fresh_factor.authenticator_code(bridge, mfa, user, params.get("code", ""), now, recovery_allowed=True)
    if check.verdict is not Verdict.OK:
        status, message = verdict_message(check, mfa.config.max_failures)
        await bridge.auditor.record("mfa.totp.reconfigure_refused", "failure", request=request, user_id=user.id,
                                    verdict=check.verdict.value)  # fmt: skip
        return await _page(bridge, mfa, session, user, now, status=status, error=message)
    await bridge.auditor.record("mfa.totp.reconfigure_started", "success", request=request, user_id=user.id)
    return await enrollment_page(bridge, mfa, user, account_csrf(mfa, session), "/account/mfa/reconfigure/confirm", now)


@_account_post
async def confirm_reconfigure(bridge: Bridge, mfa: MFAServices, request: Request, session: Session, user: User,
                              params: dict[str, str], now: float) -> Response:  # fmt: skip
    code = totp.normalize_code(params.get("code", ""))
    check = await confirm_enrollment(mfa, bridge.store, user.id, code, now) if code else Check(Verdict.WRONG)
    if check.verdict is not Verdict.OK:
        _, message = verdict_message(check, mfa.config.max_failures)
        return await enrollment_page(bridge, mfa, user, account_csrf(mfa, session), "/account/mfa/reconfigure/confirm",
                                     now, status=400, error=message)  # fmt: skip
    await admin.sign_out_everywhere(bridge, user.id, "mfa_changed", request)
    await bridge.auditor.record("mfa.totp.reconfigured", "success", request=request, user_id=user.id)
    response = codes_page(check.codes, user, mfa, None, "",
                          "Your new authenticator is set up; the old one no longer works. You have been signed out "
                          "everywhere: sign in again from your application.")  # fmt: skip
    bridge.session_cookie.clear(response)
    mfa.device_cookie.clear(response)
    return response


@_account_post
async def disable(bridge: Bridge, mfa: MFAServices, request: Request, session: Session, user: User,
                  params: dict[str, str], now: float) -> Response:  # fmt: skip
    settings = await bridge.store.get_mfa_settings(user.id)
    technician = await technician_mfa(bridge.store, settings)
    if not may_turn_off(mfa.requirement, technician):
        await bridge.auditor.record("mfa.disable.refused", "denied", request=request, user_id=user.id)
        return await _page(bridge, mfa, session, user, now, status=403,
                           error="Two-factor authentication is required for your account and cannot be turned off.")
    if params.get("confirm") != "yes":
        return render("account_mfa_confirm.html", csrf=account_csrf(mfa, session),
                      factor=await fresh_factor.factor_kind(bridge, mfa, user),
                      challenge_id=params.get(fresh_factor.CHALLENGE_FIELD, ""))  # fmt: skip
    refused = await _without_factor(bridge, mfa, request, session, user, params, now, "mfa.disable.refused")
    if refused is not None:
        return refused
    await admin.turn_off(bridge, user.id, request)
    await bridge.auditor.record("mfa.disabled", "success", request=request, user_id=user.id)
    return _signed_out(mfa, bridge, "Two-factor authentication turned off", "Two-factor authentication is off.")


@_account_post
async def enable(bridge: Bridge, mfa: MFAServices, request: Request, session: Session, user: User,
                 params: dict[str, str], now: float) -> Response:  # fmt: skip
    await admin.save_settings(bridge, user.id, request=request, choice="on")
    await bridge.auditor.record("mfa.enabled", "success", request=request, user_id=user.id)
    return _signed_out(mfa, bridge, "Two-factor authentication turned on",
                       "You will set up your second factor at your next sign-in.")  # fmt: skip
