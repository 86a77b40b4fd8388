"""POST /mfa/*: a pending login's second factor: TOTP, recovery code, email/SMS code (and resend), enrollment
confirmation, re-enrollment after a recovery code, and completion. Every form is CSRF-checked; every outcome
is audited; a bad code re-shows the page, so nothing typed or started is lost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.bridge import Bridge
from idp_bridge.mfa import recovery_codes, totp
from idp_bridge.mfa.factors import (
    Check,
    Verdict,
    check_otp,
    check_recovery_code,
    check_totp,
    confirm_enrollment,
    pending_enrollment,
    send_otp,
)
from idp_bridge.mfa.methods import destination
from idp_bridge.mfa.pages.common import (
    audit_send,
    client_ip,
    load_pending,
    pending_method,
    read_form,
    retry_later,
    verdict_message,
)
from idp_bridge.mfa.pages.gate import finish_login
from idp_bridge.mfa.pages.login import codes_page, render_stage
from idp_bridge.mfa.services import MFAServices, mfa_services
from idp_bridge.store.records.core import User
from idp_bridge.store.records.mfa import PendingLogin
from idp_bridge.web.pages import error_page

Handler = Callable[[Bridge, MFAServices, Request, PendingLogin, User, dict[str, str], float], Awaitable[Response]]


def _pending_post(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wraps a handler: finds the pending login and its user, reads the CSRF-checked form."""

    async def endpoint(request: Request) -> Response:
        bridge: Bridge = request.app.state.bridge
        mfa = mfa_services(request)
        now = bridge.clock.now()
        pending = await load_pending(bridge, mfa, request, now)
        if isinstance(pending, Response):
            return pending
        params = await read_form(bridge, request, pending.csrf_token, pending.user_id)
        if isinstance(params, Response):
            return params
        user = await bridge.store.get_user(pending.user_id)
        if user is None or user.disabled:
            return error_page(403, "Account disabled", "Your account is disabled. Contact your security team.")
        return await handler(bridge, mfa, request, pending, user, params, now)

    return endpoint


async def _bad_format(bridge: Bridge, mfa: MFAServices, request: Request, pending: PendingLogin, now: float,
                      message: str, *, recovery: bool = False) -> Response:  # fmt: skip
    await bridge.auditor.record("mfa.rejected", "failure", request=request, user_id=pending.user_id, reason="format")
    return await render_stage(bridge, mfa, pending, now, status=400, error=message, recovery_open=recovery)


async def _refused(bridge: Bridge, mfa: MFAServices, request: Request, pending: PendingLogin, check: Check,
                   method: str, now: float, *, recovery: bool = False) -> Response:  # fmt: skip
    status, message = verdict_message(check, mfa.config.max_failures)
    event = {Verdict.LOCKED: "mfa.locked", Verdict.REPLAYED: f"mfa.{method}.replayed",
             Verdict.THROTTLED: "mfa.throttled"}.get(check.verdict, f"mfa.{method}.failed")  # fmt: skip
    await bridge.auditor.record(
        event, "failure", request=request, user_id=pending.user_id, verdict=check.verdict.value,
        failures=check.failures, method=method,
    )  # fmt: skip
    return await render_stage(
        bridge, mfa, pending, now, status=status, error=message, time_hint=check.verdict is Verdict.WRONG,
        recovery_open=recovery or check.verdict is Verdict.LOCKED,
    )  # fmt: skip


async def _complete(bridge: Bridge, request: Request, pending: PendingLogin, method: str, now: float,
                    remember: bool) -> Response:  # fmt: skip
    taken = await bridge.store.take_pending_login(pending.token_hash, now)
    if taken is None:
        return error_page(400, "Sign-in already finished", "This sign-in was already completed or has expired.")
    return await finish_login(bridge, request, taken, method, now, remember=remember)


@_pending_post
async def verify_totp(bridge: Bridge, mfa: MFAServices, request: Request, pending: PendingLogin, user: User,
                      params: dict[str, str], now: float) -> Response:  # fmt: skip
    code = totp.normalize_code(params.get("code", ""))
    if code is None:
        return await _bad_format(bridge, mfa, request, pending, now, "Enter the 6 digits your authenticator app shows.")
    check = await check_totp(mfa, bridge.store, user.id, code, now)
    if check.verdict is not Verdict.OK:
        return await _refused(bridge, mfa, request, pending, check, "totp", now)
    await bridge.auditor.record("mfa.totp.success", "success", request=request, user_id=user.id)
    return await _complete(bridge, request, pending, "totp", now, params.get("remember") == "1")


@_pending_post
async def verify_recovery(bridge: Bridge, mfa: MFAServices, request: Request, pending: PendingLogin, user: User,
                          params: dict[str, str], now: float) -> Response:  # fmt: skip
    code = recovery_codes.normalize(params.get("recovery_code", ""))
    if code is None:
        return await _bad_format(
            bridge, mfa, request, pending, now, "A recovery code has 8 letters and digits, like ABCD-EF23.",
            recovery=True,
        )  # fmt: skip
    check = await check_recovery_code(mfa, bridge.store, user.id, code, now)
    if check.verdict is not Verdict.OK:
        if check.verdict is Verdict.REPLAYED:
            check = Check(Verdict.REPLAYED, failures=check.failures)
        return await _refused(bridge, mfa, request, pending, check, "recovery_code", now, recovery=True)
    await bridge.store.mark_pending_factor(pending.token_hash, ("otp",), "recovery_code", now)
    await bridge.auditor.record(
        "mfa.recovery_code.used", "success", request=request, user_id=user.id, codes_left=check.attempts_left
    )
    refreshed = await bridge.store.get_pending_login(pending.token_hash, now)
    return await render_stage(bridge, mfa, refreshed or pending, now)


@_pending_post
async def verify_otp(bridge: Bridge, mfa: MFAServices, request: Request, pending: PendingLogin, user: User,
                     params: dict[str, str], now: float) -> Response:  # fmt: skip
    code = totp.normalize_code(params.get("code", ""))
    if code is None:
        return await _bad_format(bridge, mfa, request, pending, now, "Enter the 6 digits of the code we sent you.")
    method = await pending_method(bridge, mfa, pending, user, now)
    if method not in ("email", "sms"):  # e.g. the portal demands the authenticator app's level
        return await _bad_format(bridge, mfa, request, pending, now, "This sign-in needs your authenticator app.")
    check = await check_otp(mfa, bridge.store, user.id, method, pending.challenge_id, code, now)
    if check.verdict is not Verdict.OK:
        return await _refused(bridge, mfa, request, pending, check, method, now)
    await bridge.auditor.record(f"mfa.{method}.success", "success", request=request, user_id=user.id)
    return await _complete(bridge, request, pending, method, now, params.get("remember") == "1")


@_pending_post
async def resend_otp(bridge: Bridge, mfa: MFAServices, request: Request, pending: PendingLogin, user: User,
                     params: dict[str, str], now: float) -> Response:  # fmt: skip
    settings = await bridge.store.get_mfa_settings(user.id)
    method = await pending_method(bridge, mfa, pending, user, now)
    if method not in ("email", "sms"):
        return await _bad_format(bridge, mfa, request, pending, now, "Your method does not use sent codes.")
    to = destination(settings, user, method) or ""
    sent = await send_otp(mfa, bridge.store, user.id, method, to, now, client_ip(request))
    await audit_send(bridge, request, user.id, method, sent, resend=True)
    if sent.refused is not None:  # the resend cooldown or a send cap: nothing sent, the earlier code still works
        wait = sent.refused.retry_after
        page = await render_stage(bridge, mfa, pending, now, status=429, ip=client_ip(request),
                                  error=f"You can request a new code in {wait} seconds.")  # fmt: skip
        return retry_later(page, wait)
    if sent.challenge is not None:
        await bridge.store.set_pending_challenge(pending.token_hash, sent.challenge.id)
    refreshed = await bridge.store.get_pending_login(pending.token_hash, now) or pending
    if sent.failure is not None:
        return await render_stage(
            bridge, mfa, refreshed, now, status=502,
            error="The code could not be sent. Try again in a moment, or contact your security team.",
        )  # fmt: skip
    return await render_stage(bridge, mfa, refreshed, now, notice=f"A new code was sent to {sent.destination}.")


@_pending_post
async def confirm(bridge: Bridge, mfa: MFAServices, request: Request, pending: PendingLogin, user: User,
                  params: dict[str, str], now: float) -> Response:  # fmt: skip
    code = totp.normalize_code(params.get("code", ""))
    if code is None:
        return await _bad_format(bridge, mfa, request, pending, now, "Enter the 6 digits your authenticator app shows.")
    check = await confirm_enrollment(mfa, bridge.store, user.id, code, now)
    if check.verdict is not Verdict.OK:
        status, message = verdict_message(check, mfa.config.max_failures)
        await bridge.auditor.record(
            "mfa.totp.enrollment_failed", "failure", request=request, user_id=user.id, verdict=check.verdict.value
        )
        return await render_stage(
            bridge, mfa, pending, now, status=status, error=message, time_hint=check.verdict is Verdict.WRONG
        )
    await bridge.store.mark_pending_factor(pending.token_hash, ("otp",), "totp", now)
    await bridge.auditor.record("mfa.totp.enrolled", "success", request=request, user_id=user.id)
    await bridge.auditor.record("mfa.recovery_codes.issued", "success", request=request, user_id=user.id)
    return codes_page(check.codes, user, mfa, "/mfa/complete", pending.csrf_token)


@_pending_post
async def reconfigure(bridge: Bridge, mfa: MFAServices, request: Request, pending: PendingLogin, user: User,
                      params: dict[str, str], now: float) -> Response:  # fmt: skip
    if pending.factor_method != "recovery_code":
        return await _bad_format(bridge, mfa, request, pending, now, "Use a recovery code first.")
    await pending_enrollment(mfa, bridge.store, user.id, now)
    await bridge.auditor.record("mfa.totp.reconfigure_started", "success", request=request, user_id=user.id)
    return await render_stage(bridge, mfa, pending, now)


@_pending_post
async def complete(bridge: Bridge, mfa: MFAServices, request: Request, pending: PendingLogin, user: User,
                   params: dict[str, str], now: float) -> Response:  # fmt: skip
    if pending.factor_at is None or pending.factor_method is None:
        return await _bad_format(bridge, mfa, request, pending, now, "Verify your second factor first.")
    return await _complete(bridge, request, pending, pending.factor_method, now, remember=False)
