"""Remember this device: a server-side record (listable, revocable, capped per user) and a cookie bound to the user
and to the MFA enrollment generation, so it stops working when the authenticator is reconfigured or reset."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.audit.recorder import Auditor
from idp_bridge.mfa.cookies import DeviceClaim
from idp_bridge.mfa.services import MFAServices
from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.core import secret_hash
from idp_bridge.store.records.mfa import RememberedDevice

DAY = 86400


async def is_remembered(
    mfa: MFAServices, store: Store, auditor: Auditor, request: Request, user_id: str, now: float
) -> bool:
    """Whether this browser's device cookie is valid for `user_id` now. A cookie that is present but forged,
    another user's, stale or revoked is audited and ignored (the second factor is then asked for)."""
    if not mfa.device_cookie.present(request):
        return False
    value = mfa.device_cookie.read(request)
    claim = DeviceClaim.decode(value) if value is not None else None
    reason: str | None = None
    device: RememberedDevice | None = None
    if claim is None:
        reason = "bad_signature"
    elif claim.user_id != user_id:
        reason = "other_user"
    else:
        settings = await store.get_mfa_settings(user_id)
        device = await store.get_remembered_device(secret_hash(claim.token), now)
        if device is None:
            reason = "unknown_or_expired"
        elif device.user_id != user_id:
            reason = "other_user"
        elif device.generation != claim.generation or device.generation != settings.generation:
            reason = "enrollment_changed"
    if reason is not None or device is None:
        await auditor.record(
            "mfa.remembered_device.rejected", "failure", request=request, user_id=user_id, reason=reason
        )
        return False
    await store.touch_remembered_device(device.id, now)
    await auditor.record(
        "mfa.remembered_device.used", "success", request=request, user_id=user_id, device_id=device.id
    )
    return True


async def remember(
    mfa: MFAServices, store: Store, auditor: Auditor, request: Request, response: Response, user_id: str, now: float
) -> None:
    days = mfa.config.remember_device_days
    if days <= 0:
        return
    settings = await store.get_mfa_settings(user_id)
    token = secrets.token_urlsafe(32)
    device = RememberedDevice(
        id=secrets.token_urlsafe(9), token_hash=secret_hash(token), user_id=user_id, generation=settings.generation,
        created_at=now, expires_at=now + days * DAY,
        user_agent=(request.headers.get("user-agent") or "")[:200] or None,
    )  # fmt: skip
    await store.put_remembered_device(device, keep=mfa.config.remember_device_max)
    mfa.device_cookie.set(response, DeviceClaim(token, user_id, settings.generation).encode(), max_age=days * DAY)
    await auditor.record(
        "mfa.remembered_device.added", "success", request=request, user_id=user_id, device_id=device.id
    )
