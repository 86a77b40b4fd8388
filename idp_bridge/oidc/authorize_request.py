"""Validation of a portal's /authorize request (OIDC Core §3.1.2.1, RFC 7636, RFC 9700) into an AuthRequest.

Until client_id and redirect_uri are known to be good, errors are pages (never a redirect: an unverified
redirect_uri would make the bridge an open redirector). After that, errors go back to the portal.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from idp_bridge.oidc.errors import OAuthError, PageError
from idp_bridge.oidc.portals import PortalRegistry
from idp_bridge.store.records.core import AuthRequest

_PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url(SHA-256) without padding
_MAX_AGE = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() also accepts '¹', which int() refuses
_PROMPTS = frozenset({"none", "login", "consent", "select_account"})
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 §3.3 scope-token


class AuthorizeError(OAuthError):
    """An error answered by redirecting to the (already verified) redirect_uri."""

    def __init__(self, error: str, description: str, *, redirect_uri: str, state: str | None) -> None:
        super().__init__(error, description)
        self.redirect_uri = redirect_uri
        self.state = state


def validate_authorize(
    params: Mapping[str, str],
    portals: PortalRegistry,
    *,
    now: float,
    lifetime: float,
) -> AuthRequest:
    client_id = params.get("client_id")
    if not client_id:
        raise PageError(400, "Invalid sign-in request", "The request names no client_id.", "missing_client_id")
    portal = portals.get(client_id)
    if portal is None:
        raise PageError(
            400,
            "Unknown application",
            "The application asking you to sign in is not registered.",
            "unknown_client",
        )
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise PageError(400, "Invalid sign-in request", "The request names no redirect_uri.", "missing_redirect_uri")
    if not portal.accepts_redirect_uri(redirect_uri):
        raise PageError(
            400,
            "Invalid sign-in request",
            "The redirect_uri is not registered for this application, so the bridge will not send you there.",
            "redirect_uri_mismatch",
        )
    state = params.get("state")

    def fail(error: str, description: str) -> AuthorizeError:
        return AuthorizeError(error, description, redirect_uri=redirect_uri, state=state)

    if "request" in params:
        raise fail("request_not_supported", "request objects are not supported")
    if "request_uri" in params:
        raise fail("request_uri_not_supported", "request_uri is not supported")
    if params.get("response_type") != "code":
        raise fail("unsupported_response_type", "only response_type=code is supported")
    if params.get("response_mode", "query") != "query":
        raise fail("invalid_request", "only response_mode=query is supported")
    scope_tokens = params.get("scope", "").split(" ")
    if "openid" not in scope_tokens or not all(_SCOPE_TOKEN.match(t) for t in scope_tokens):
        raise fail("invalid_scope", "scope must be space-separated tokens including 'openid'")
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if not challenge:
        raise fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256")
    if method != "S256":
        raise fail("invalid_request", "code_challenge_method must be S256 ('plain' is not accepted)")
    if not _PKCE_CHALLENGE.match(challenge):
        raise fail("invalid_request", "code_challenge must be 43 base64url characters (S256)")
    prompt = params.get("prompt")
    if prompt is not None:
        values = prompt.split(" ")
        if not values or any(v not in _PROMPTS for v in values):
            raise fail("invalid_request", "prompt must be none, login, consent or select_account")
        if "none" in values and len(values) > 1:
            raise fail("invalid_request", "prompt=none cannot be combined with other values")
    max_age: int | None = None
    if "max_age" in params:
        raw = params["max_age"]
        if not _MAX_AGE.fullmatch(raw):
            raise fail("invalid_request", "max_age must be a non-negative integer number of seconds")
        max_age = int(raw)
    return AuthRequest(
        id=secrets.token_urlsafe(24),
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=" ".join(dict.fromkeys(scope_tokens)),
        state=state,
        nonce=params.get("nonce"),
        code_challenge=challenge,
        prompt=prompt,
        max_age=max_age,
        login_hint=params.get("login_hint"),
        acr_values=params.get("acr_values"),
        provider_hint=params.get("provider_hint"),
        created_at=now,
        expires_at=now + lifetime,
    )
