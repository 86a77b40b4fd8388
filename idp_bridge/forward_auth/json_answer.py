"""The JSON 401 that API clients get from /forward-auth/redirect instead of a 302 to an HTML sign-in page."""

from __future__ import annotations

import json

LOGIN_REQUIRED = "login_required"
# RFC 9470 (OAuth 2.0 Step-up Authentication Challenge): the session is there but not strong or fresh enough.
STEP_UP_REQUIRED = "insufficient_user_authentication"
_DESCRIPTIONS = {
    LOGIN_REQUIRED: "Sign in first: open sign_in_url in a browser.",
    STEP_UP_REQUIRED: "This address needs a recent second factor: open sign_in_url in a browser.",
}


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0  # an unreadable weight: not an acceptable type
    return 1.0


def wants_json(accept: str | None) -> bool:
    """Whether the client asks for JSON (`application/json` with q > 0) at least as much as for HTML. Browsers'
    navigations list text/html and never application/json; `*/*` alone keeps the redirect."""
    if not accept or "json" not in accept.lower():  # the common case, decided without parsing
        return False
    json_q = html_q = 0.0
    for item in accept.split(","):
        media, *parameters = item.split(";")
        media = media.strip().lower()
        if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
            json_q = max(json_q, _quality(parameters))
        elif media == "text/html":
            html_q = max(html_q, _quality(parameters))
    return json_q > 0 and json_q >= html_q


def body(error: str, sign_in_url: str) -> bytes:
    """`{"error", "error_description", "sign_in_url"}`, the error an OAuth-style code."""
    return json.dumps(
        {"error": error, "error_description": _DESCRIPTIONS[error], "sign_in_url": sign_in_url}
    ).encode()
