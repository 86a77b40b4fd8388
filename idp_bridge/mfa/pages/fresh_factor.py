"""The current second factor, entered again on an /account/mfa form that weakens the technician's own protection
(turning MFA off, changing the method, new recovery codes): a stolen or unattended session alone is not enough."""

from __future__ import annotations

from starlette.requests import Request

from idp_bridge.bridge import Bridge
from idp_bridge.mfa import recovery_codes, totp
from idp_bridge.mfa.factors import Check, Sent, Verdict, check_otp, check_recovery_code, check_totp, send_otp
from idp_bridge.mfa.methods import destination, effective_method
from idp_bridge.mfa.pages.common import audit_send, client_ip
from idp_bridge.mfa.services import MFAServices
from idp_bridge.store.records.core import User

FIELD = "factor_code"
CHALLENGE_FIELD = "challenge_id"


async def factor_kind(bridge: Bridge, mfa: MFAServices, user: User) -> str:
    """"totp" (an active authenticator app: its code or a recovery code), "email"/"sms" (a code sent on request
    from the settings page), or "none" (no factor set up yet: nothing to prove, nothing to weaken)."""
    authenticator = await bridge.store.get_totp(user.id)
    if authenticator is not None and authenticator.secret is not None:
        return "totp"
    settings = await bridge.store.get_mfa_settings(user.id)
    method = effective_method(mfa, settings, user)
    return method if method in ("email", "sms") else "none"


async def authenticator_code(bridge: Bridge, mfa: MFAServices, user: User, raw: str, now: float, *,
                             recovery_allowed: bool) -> Check:  # fmt: skip
    """An authenticator-app code, or (where allowed) a recovery code, typed as `raw`."""
    code = totp.normalize_code(raw)
    if code is not None:
        return await check_totp(mfa, bridge.store, user.id, code, now)
    recovery = recovery_codes.normalize(raw) if recovery_allowed else None
    if recovery is not None:
        return await check_recovery_code(mfa, bridge.store, user.id, recovery, now)
    return Check(Verdict.WRONG)


async def prove(bridge: Bridge, mfa: MFAServices, user: User, params: dict[str, str], now: float, *,
                recovery_allowed: bool = True, field: str = FIELD) -> Check:  # fmt: skip
    """Check the factor typed into `field`; failures count toward that authenticator's throttle and lock."""
    kind = await factor_kind(bridge, mfa, user)
    raw = params.get(field, "")
    if kind == "none":
        return Check(Verdict.OK)
    if kind == "totp":
        return await authenticator_code(bridge, mfa, user, raw, now, recovery_allowed=recovery_allowed)
    code = totp.normalize_code(raw)
    challenge_id = params.get(CHALLENGE_FIELD) or None
    challenge = await bridge.store.get_otp_challenge(challenge_id) if challenge_id else None
    if challenge is None or challenge.user_id != user.id or challenge.channel != kind:
        return Check(Verdict.EXPIRED)  # "request a new code": another user's or a forged id is no code at all
    if code is None:
        return Check(Verdict.WRONG)
    return await check_otp(mfa, bridge.store, user.id, kind, challenge_id, code, now)


async def send_code(bridge: Bridge, mfa: MFAServices, request: Request, user: User, now: float) -> Sent | None:
    """Send an email/SMS code to confirm a settings change; None when the technician's factor is not one."""
    kind = await factor_kind(bridge, mfa, user)
    if kind not in ("email", "sms"):
        return None
    settings = await bridge.store.get_mfa_settings(user.id)
    to = destination(settings, user, kind) or ""
    sent = await send_otp(mfa, bridge.store, user.id, kind, to, now, client_ip(request))
    await audit_send(bridge, request, user.id, kind, sent, purpose="account")
    return sent
