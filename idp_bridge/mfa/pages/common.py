"""What the second-factor endpoints share: finding the pending login, reading a CSRF-checked form, and the message
(and status) for each verdict of a code check."""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.bridge import Bridge
from idp_bridge.mfa.factors import Check, Sent, Verdict
from idp_bridge.mfa.methods import method_for
from idp_bridge.mfa.services import MFAServices
from idp_bridge.oidc.assurance import demanded_acr
from idp_bridge.store.records.core import User, secret_hash
from idp_bridge.store.records.mfa import PendingLogin
from idp_bridge.web.pages import error_page
from idp_bridge.web.request_params import ParameterError, form_params

RESTART = "Go back to the application and sign in again."
TIME_HINT_VERDICTS = frozenset({Verdict.WRONG})


async def load_pending(bridge: Bridge, mfa: MFAServices, request: Request, now: float) -> PendingLogin | Response:
    """The pending login this browser's cookie names, or the error page to answer with (audited)."""
    token = mfa.pending_cookie.read(request)
    pending = await bridge.store.get_pending_login(secret_hash(token), now) if token else None
    if pending is None:
        reason = "no_cookie" if not mfa.pending_cookie.present(request) else (
            "bad_cookie" if token is None else "unknown_or_expired"
        )  # fmt: skip
        await bridge.auditor.record("mfa.rejected", "failure", request=request, reason=reason)
        return error_page(
            400, "Sign-in expired",
            f"This sign-in is unknown or has expired (sign-ins must be finished within a few minutes). {RESTART}",
        )  # fmt: skip
    return pending


async def pending_method(bridge: Bridge, mfa: MFAServices, pending: PendingLogin, user: User, now: float) -> str:
    """The second factor this pending login asks for: the technician's method, or the authenticator app when the
    portal's (or forward-auth route's) `acr_values` demand more than an email or SMS code gives."""
    settings = await bridge.store.get_mfa_settings(user.id)
    auth_request = await bridge.store.get_auth_request(pending.auth_request_id, now)
    return method_for(mfa, settings, user, demanded_acr(auth_request.acr_values) if auth_request else None)


def client_ip(request: Request) -> str:
    """The address the send caps count per IP (the proxy's forwarded address where uvicorn trusts it)."""
    return request.client.host if request.client is not None else ""


async def audit_send(bridge: Bridge, request: Request, user_id: str, channel: str, sent: Sent, **extra: Any) -> None:
    """One audit event per send attempt: sent, delivery failed, or refused by a send cap (never the code)."""
    if sent.refused is not None:
        await bridge.auditor.record(
            "mfa.otp.send_refused", "denied", request=request, user_id=user_id, channel=channel,
            limit=sent.refused.limit, retry_after=sent.refused.retry_after, **extra,
        )  # fmt: skip
        return
    await bridge.auditor.record(
        "mfa.otp.sent" if sent.failure is None else "mfa.otp.delivery_failed",
        "success" if sent.failure is None else "failure", request=request, user_id=user_id, channel=channel,
        destination=sent.destination, detail=sent.failure, **extra,
    )  # fmt: skip


def retry_later(response: Response, seconds: int) -> Response:
    """A 429's Retry-After (RFC 9110 §10.2.3), in whole seconds."""
    response.headers["Retry-After"] = str(max(1, seconds))
    return response


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


async def read_form(
    bridge: Bridge, request: Request, csrf_expected: str, user_id: str | None
) -> dict[str, str] | Response:
    """The POSTed form, size-limited, with a matching CSRF token; else the 4xx page (audited, nothing changed)."""
    try:
        params = await form_params(request, bridge.max_param)
    except ParameterError as exc:
        await bridge.auditor.record("mfa.rejected", "failure", request=request, user_id=user_id, reason=exc.message)
        return error_page(
            exc.status, "Invalid form", f"{exc.message}. Nothing was changed: go back and try again."
        )
    if not csrf_matches(csrf_expected, params.get("csrf_token")):
        await bridge.auditor.record("mfa.rejected", "failure", request=request, user_id=user_id, reason="csrf")
        return error_page(
            403, "Form expired",
            "This form is missing its security token or it does not match (was the page open in another tab?). "
            "Nothing was changed: reload the page and try again.",
        )  # fmt: skip
    return params


def verdict_message(check: Check, max_failures: int) -> tuple[int, str]:
    """(HTTP status, message) for a failed check."""
    verdict = check.verdict
    if verdict is Verdict.WRONG:
        left = f" {check.attempts_left} attempt{'s' if check.attempts_left != 1 else ''} left." if (
            check.attempts_left
        ) else ""  # fmt: skip
        return 400, f"That code is not correct.{left} Check it and try again."
    if verdict is Verdict.REPLAYED:
        return 400, "That code was already used. Each code works only once: wait for the next one and enter it."
    if verdict is Verdict.THROTTLED:
        return 429, f"Too many wrong codes in a row. Wait {check.wait} seconds, then try again."
    if verdict is Verdict.LOCKED:
        return 403, (
            f"This authenticator is disabled after {max_failures} wrong codes in a row. Use a recovery code, or ask "
            "your security team to reset it."
        )
    if verdict is Verdict.EXPIRED:
        return 400, "This code has expired. Request a new code and enter it within the time shown."
    if verdict is Verdict.EXHAUSTED:
        return 400, "This code no longer works after too many wrong entries. Request a new code."
    if verdict is Verdict.NOT_ENROLLED:
        return 400, "Your authenticator app is not set up. Reload this page to set it up."
    return 409, "Your authenticator setup changed meanwhile (another tab?). Reload this page and scan the new code."
