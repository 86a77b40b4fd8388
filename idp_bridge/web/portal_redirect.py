"""Redirects back to a portal's (verified) redirect_uri, always carrying `iss` (RFC 9207)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import RedirectResponse

from idp_bridge.web.pages import NO_STORE


def portal_redirect(redirect_uri: str, params: dict[str, str | None], issuer: str) -> RedirectResponse:
    query = urlencode({**{k: v for k, v in params.items() if v is not None}, "iss": issuer})
    separator = "&" if "?" in redirect_uri else "?"
    # 303: the browser must GET the portal even when it reached us by POST (RFC 9700 §4.12).
    return RedirectResponse(f"{redirect_uri}{separator}{query}", status_code=303, headers=NO_STORE)


def error_redirect(redirect_uri: str, error: str, description: str, state: str | None, issuer: str) -> RedirectResponse:
    return portal_redirect(redirect_uri, {"error": error, "error_description": description, "state": state}, issuer)
