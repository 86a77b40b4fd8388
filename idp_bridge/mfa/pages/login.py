"""GET /mfa: the second-factor page of a pending login (enroll the authenticator app, enter a TOTP, email or SMS
code, or continue after a recovery code); `render_stage` is also how the POST endpoints re-show it with an error."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.bridge import Bridge
from idp_bridge.mfa import recovery_codes, totp
from idp_bridge.mfa.factors import pending_enrollment, send_limits
from idp_bridge.mfa.pages.common import client_ip, load_pending, pending_method
from idp_bridge.mfa.services import MFAServices, mfa_services
from idp_bridge.store.records.core import User
from idp_bridge.store.records.mfa import PendingLogin
from idp_bridge.web.pages import error_page, render

CHANNEL_NAMES = {"email": "email", "sms": "text message"}


async def show(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    mfa = mfa_services(request)
    now = bridge.clock.now()
    pending = await load_pending(bridge, mfa, request, now)
    if isinstance(pending, Response):
        return pending
    return await render_stage(bridge, mfa, pending, now, ip=client_ip(request))


async def enrollment_page(
    bridge: Bridge, mfa: MFAServices, user: User, csrf: str, action: str, now: float, *, status: int = 200,
    error: str | None = None,
) -> Response:  # fmt: skip
    _, secret = await pending_enrollment(mfa, bridge.store, user.id, now)
    account = user.email or user.name or user.id
    uri = totp.provisioning_uri(secret, account, mfa.config.issuer_label)
    return render(
        "mfa_enroll.html", status=status, qr_svg=totp.qr_svg(uri), secret=secret, secret_grouped=totp.grouped(secret),
        account=account, issuer=mfa.config.issuer_label, csrf=csrf, action=action, error=error,
        time_hint=error is not None,
    )  # fmt: skip


def codes_page(
    codes: list[str] | tuple[str, ...], user: User, mfa: MFAServices, action: str | None, csrf: str,
    after: str | None = None,
) -> Response:
    download = recovery_codes.as_text(list(codes), user.email or user.id, mfa.config.issuer_label)
    return render("mfa_codes.html", codes=codes, download=download, action=action, csrf=csrf, after=after)


async def render_stage(
    bridge: Bridge, mfa: MFAServices, pending: PendingLogin, now: float, *, status: int = 200,
    error: str | None = None, notice: str | None = None, time_hint: bool = False, recovery_open: bool = False,
    ip: str = "",
) -> Response:  # fmt: skip
    """`ip`: the client's, for telling when the next email/SMS code may be requested (the per-IP cap)."""
    user = await bridge.store.get_user(pending.user_id)
    if user is None or user.disabled:
        return error_page(403, "Account disabled", "Your account is disabled. Contact your security team.")
    authenticator = await bridge.store.get_totp(user.id)
    re_enrolling = pending.factor_method == "recovery_code" and authenticator is not None and bool(
        authenticator.pending_secret
    )  # fmt: skip
    if re_enrolling:
        return await enrollment_page(
            bridge, mfa, user, pending.csrf_token, "/mfa/enroll", now, status=status, error=error
        )
    if pending.factor_at is not None:
        if pending.factor_method == "recovery_code":
            left = await bridge.store.count_recovery_codes(user.id)
            return render("mfa_recovered.html", codes_left=left, csrf=pending.csrf_token)
        return render("mfa_continue.html", csrf=pending.csrf_token)
    method = await pending_method(bridge, mfa, pending, user, now)
    remember_days = mfa.config.remember_device_days
    if method in ("email", "sms"):
        challenge = await bridge.store.get_otp_challenge(pending.challenge_id) if pending.challenge_id else None
        deliveries = await bridge.store.list_otp_deliveries(user.id, limit=1) if challenge else []
        if deliveries and deliveries[0].outcome == "failed" and error is None:
            error = "The code could not be sent. Request a new code, or contact your security team."
        wait = await bridge.store.otp_send_wait(user.id, ip, now, send_limits(mfa))
        return render(
            "mfa_otp.html", status=status, csrf=pending.csrf_token, error=error, notice=notice, time_hint=False,
            next_send_in=0 if wait.allowed else wait.retry_after,
            channel_name=CHANNEL_NAMES[method], destination=deliveries[0].destination if deliveries else None,
            minutes=max(1, mfa.config.otp_lifetime_seconds // 60), remember_days=remember_days,
        )  # fmt: skip
    if authenticator is None or authenticator.secret is None:
        return await enrollment_page(
            bridge, mfa, user, pending.csrf_token, "/mfa/enroll", now, status=status, error=error
        )
    failures = await bridge.store.get_failures(user.id, "totp")
    return render(
        "mfa_totp.html", status=status, csrf=pending.csrf_token, error=error, notice=notice, time_hint=time_hint,
        remember_days=remember_days, locked=failures.locked, recovery_open=recovery_open,
    )  # fmt: skip
