"""The page a browser sees on its next request after its session was ended elsewhere (evicted, timed out,
forced): why, and a way to sign in again. The reason comes from the store's end notice for the browser's token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.bridge import Bridge
from idp_bridge.store.records.core import secret_hash
from idp_bridge.store.records.session_rules import EndNotice
from idp_bridge.web.pages import render

MESSAGES = {
    "evicted": "You were signed out because your account signed in on another device.",
    "idle": "You were signed out because you were inactive for too long.",
    "absolute": "You were signed out because your session reached its maximum length.",
    "mfa_changed": "You were signed out because the multi-factor authentication settings of your account changed.",
    "mfa_reset": "You were signed out because the multi-factor authentication of your account was reset: set it up "
    "again when you sign in.",
    "disabled": "You were signed out because your account was disabled.",
    "policy_changed": "You were signed out because the sign-in policy changed: the sign-in provider you used, or "
    "your account with it, is no longer allowed.",
    "admin": "You were signed out by an administrator.",
}
"""Reasons worth telling the user; a logout they asked for, or a new login in the same browser, needs no page."""


async def signed_out_notice(bridge: Bridge, request: Request, now: float) -> EndNotice | None:
    token = bridge.session_cookie.read(request)
    if token is None:
        return None
    notice = await bridge.store.find_end_notice(secret_hash(token), now)
    return notice if notice is not None and notice.reason in MESSAGES else None


async def notice_page(bridge: Bridge, request: Request, notice: EndNotice, continue_url: str) -> Response:
    """The page, with the dead cookie cleared so that "Sign in again" starts afresh."""
    await bridge.auditor.record(
        "session.end_notice_shown", "success", request=request, user_id=notice.user_id,
        session_id=notice.session_id, reason=notice.reason,
    )  # fmt: skip
    response = render(
        "signed_out.html", status=401, message=MESSAGES[notice.reason], reason=notice.reason, continue_url=continue_url
    )
    bridge.session_cookie.clear(response)
    return response
