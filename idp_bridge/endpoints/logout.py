"""GET|POST /logout, the end_session_endpoint (OIDC RP-Initiated Logout 1.0), and POST /logout/confirm.

`id_token_hint` (signature and `iss` checked; an expired token is accepted, as the spec allows), `client_id`,
`post_logout_redirect_uri` (exact match with the portal's registered list, else an error page, never a redirect)
and `state`. When the hint ties the request to the signed-in session (same `sid`, or same `sub` for a token
without `sid`) the session ends at once; otherwise the user confirms on a CSRF-protected page.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.endpoints.session_page import timer_context
from idp_bridge.oidc.errors import PageError
from idp_bridge.sessions.access import live_session
from idp_bridge.sessions.end import end_session
from idp_bridge.store.records.core import Session, secret_hash
from idp_bridge.web.pages import NO_STORE, error_page, render
from idp_bridge.web.request_params import ParameterError, all_params


@dataclass(frozen=True)
class LogoutRequest:
    client_id: str | None
    redirect_uri: str | None
    state: str | None
    hint: dict[str, Any] | None


def _bad(message: str, reason: str) -> PageError:
    return PageError(400, "Invalid sign-out request", message, reason)


def _hint_claims(bridge: Bridge, token: str) -> dict[str, Any]:
    try:
        claims = bridge.keys.verify(token)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _bad("The id_token_hint is not a token this sign-in service issued.", "bad_id_token_hint") from exc
    if claims.get("iss") != bridge.issuer:
        raise _bad("The id_token_hint was issued by another sign-in service.", "bad_id_token_hint")
    return claims


def parse_logout(bridge: Bridge, params: dict[str, str]) -> LogoutRequest:
    hint = _hint_claims(bridge, params["id_token_hint"]) if params.get("id_token_hint") else None
    aud = hint.get("aud") if hint is not None else None
    listed = aud if isinstance(aud, list) else [aud]
    audiences = [a for a in listed if isinstance(a, str)]
    client_id = params.get("client_id")
    if client_id is not None and hint is not None and client_id not in audiences:
        raise _bad("The client_id does not match the id_token_hint.", "client_id_mismatch")
    if client_id is None and len(audiences) == 1:
        client_id = audiences[0]
    portal = bridge.portals.get(client_id) if client_id else None
    if client_id is not None and portal is None:
        raise _bad("The application asking you to sign out is not registered.", "unknown_client")
    redirect_uri = params.get("post_logout_redirect_uri")
    if redirect_uri is not None:
        if portal is None:
            raise _bad("A post_logout_redirect_uri needs a client_id or an id_token_hint.", "redirect_without_client")
        if redirect_uri not in portal.post_logout_redirect_uris:
            raise _bad(
                "The post_logout_redirect_uri is not registered for this application, so the sign-in service "
                "will not send you there.",
                "post_logout_redirect_uri_mismatch",
            )
    return LogoutRequest(client_id, redirect_uri, params.get("state"), hint)


def _tied(hint: dict[str, Any] | None, session: Session) -> bool:
    if hint is None:
        return False
    sid = hint.get("sid")
    if isinstance(sid, str):
        return hmac.compare_digest(sid, session.id)
    return hint.get("sub") == session.user_id


def csrf_token(bridge: Bridge, cookie_token: str) -> str:
    key = bridge.config.server.secret_key.get_secret_value().encode()
    return hmac.new(key, b"logout-confirm:" + secret_hash(cookie_token).encode(), hashlib.sha256).hexdigest()


def _finish(bridge: Bridge, request: LogoutRequest, signed_out: bool) -> Response:
    if request.redirect_uri is not None:
        query = urlencode({"state": request.state} if request.state is not None else {})
        separator = "&" if "?" in request.redirect_uri else "?"
        location = f"{request.redirect_uri}{separator}{query}" if query else request.redirect_uri
        response: Response = RedirectResponse(location, status_code=303, headers=NO_STORE)
    else:
        response = render("logged_out.html", was_signed_in=signed_out)
    bridge.session_cookie.clear(response)
    return response


async def _parse(bridge: Bridge, request: Request) -> LogoutRequest | Response:
    try:
        params = await all_params(request, max(bridge.max_param, 8192))
        return parse_logout(bridge, params)
    except ParameterError as exc:
        await bridge.auditor.record("logout.rejected", "failure", request=request, reason="bad_parameters")
        return error_page(exc.status, "Invalid sign-out request", exc.message)
    except PageError as exc:
        await bridge.auditor.record("logout.rejected", "failure", request=request, reason=exc.audit_code)
        return error_page(exc.status, exc.title, exc.message)


async def logout(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    parsed = await _parse(bridge, request)
    if isinstance(parsed, Response):
        return parsed
    token = bridge.session_cookie.read(request)
    entry = await live_session(bridge, token, bridge.clock.now(), cached=False, touch=False) if token else None
    if entry is None or token is None:
        await bridge.auditor.record("logout.no_session", "success", request=request, client_id=parsed.client_id)
        return _finish(bridge, parsed, signed_out=False)
    if _tied(parsed.hint, entry.session):
        await end_session(bridge, entry.session.id, "logout", request)
        await bridge.auditor.record(
            "logout.rp_initiated", "success", request=request, client_id=parsed.client_id,
            user_id=entry.session.user_id, session_id=entry.session.id,
        )  # fmt: skip
        return _finish(bridge, parsed, signed_out=True)
    return render(
        "logout_confirm.html", csrf=csrf_token(bridge, token), client_id=parsed.client_id or "",
        session_timer=timer_context(bridge, entry, token, bridge.clock.now()),
        redirect_uri=parsed.redirect_uri or "", state=parsed.state or "", who=entry.email or entry.name or "",
        portal=(p.display_name if (p := bridge.portals.get(parsed.client_id or "")) else None),
    )  # fmt: skip


async def confirm(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    try:
        form = await all_params(request, max(bridge.max_param, 8192))
    except ParameterError as exc:
        return error_page(exc.status, "Invalid sign-out request", exc.message)
    token = bridge.session_cookie.read(request)
    sent = form.get("csrf", "")
    if token is None or not hmac.compare_digest(sent.encode(), csrf_token(bridge, token).encode()):
        await bridge.auditor.record("logout.rejected", "failure", request=request, reason="bad_csrf_token")
        return error_page(
            400, "Sign-out not confirmed", "This sign-out form expired. Sign out again from the application."
        )
    params = {k: v for k in ("client_id", "post_logout_redirect_uri", "state") if (v := form.get(k))}
    try:
        parsed = parse_logout(bridge, params)
    except PageError as exc:
        await bridge.auditor.record("logout.rejected", "failure", request=request, reason=exc.audit_code)
        return error_page(exc.status, exc.title, exc.message)
    entry = await live_session(bridge, token, bridge.clock.now(), cached=False, touch=False)
    if entry is not None:
        await end_session(bridge, entry.session.id, "logout", request)
        await bridge.auditor.record(
            "logout.confirmed", "success", request=request, client_id=parsed.client_id,
            user_id=entry.session.user_id, session_id=entry.session.id,
        )  # fmt: skip
    return _finish(bridge, parsed, signed_out=entry is not None)
