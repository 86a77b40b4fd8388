"""The demo portal: a confidential OIDC client of the bridge that signs in and shows the id_token claims."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlencode

import httpx2
import jinja2
from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]
from authlib.integrations.starlette_client import OAuth  # type: ignore[import-untyped]
from joserfc.errors import JoseError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from idp_bridge.demo.backchannel import LogoutRegistry, LogoutTokenError

__all__ = ["SESSION_COOKIE", "create_demo_portal"]

SESSION_COOKIE = "demo_portal"
_CLIENT_NAME = "bridge"
_USER_KEY = "user"
_NO_STORE = {"Cache-Control": "no-store"}
_TIME_CLAIMS = frozenset({"exp", "iat", "nbf", "auth_time", "updated_at"})

_BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}Demo portal{% endblock %}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 3rem auto; padding: 0 1rem;
         color: #1f2933; background: #f7f9fb; }
  main { background: #fff; border: 1px solid #d9e2ec; border-radius: .5rem; padding: 1.5rem 2rem; }
  h1 { margin-top: 0; font-size: 1.6rem; }
  .button { display: inline-block; padding: .6rem 1.1rem; border-radius: .4rem; background: #2563eb;
            color: #fff; text-decoration: none; font-weight: 600; }
  .button.secondary { background: #e4e7eb; color: #1f2933; }
  table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .95rem; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
  th { font-family: ui-monospace, monospace; white-space: nowrap; }
  td.claim-value { font-family: ui-monospace, monospace; word-break: break-all; }
  td.claim-note { color: #616e7c; font-size: .85rem; white-space: nowrap; }
  .error { border-left: 4px solid #d64545; padding: .5rem 1rem; background: #fdf2f2; }
  .muted { color: #616e7c; font-size: .9rem; }
</style>
</head>
<body><main>{% block content %}{% endblock %}</main></body>
</html>
"""

_HOME = """{% extends "base.html" %}
{% block content %}
<h1>Demo portal</h1>
{% if ended_elsewhere %}
  <p class="error" id="ended-elsewhere">You were signed out because your session ended at idp-bridge (signed out
  elsewhere, e.g. your account signed in on another device). The bridge told this portal by back-channel logout.</p>
{% endif %}
{% if user %}
  <p id="signed-in">Signed in as <strong id="who">{{ who }}</strong></p>
  <p class="muted">Claims of the id_token issued by <code>{{ issuer }}</code>:</p>
  <table id="claims">
    <thead><tr><th>Claim</th><th>Value</th><th></th></tr></thead>
    <tbody>
    {% for row in rows %}
      <tr data-claim="{{ row.name }}"><th>{{ row.name }}</th><td class="claim-value">{{ row.value }}</td>
        <td class="claim-note">{{ row.note }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  <p><a class="button secondary" id="sign-out" href="/logout">Sign out</a></p>
{% else %}
  <p>This page stands in for an internal portal. It signs you in through the bridge with OpenID Connect.</p>
  <p><a class="button" id="sign-in" href="/login">Sign in through idp-bridge</a></p>
{% endif %}
{% endblock %}
"""

_ERROR = """{% extends "base.html" %}
{% block title %}Sign-in failed - Demo portal{% endblock %}
{% block content %}
<h1>Sign-in failed</h1>
<div class="error" id="error">
  <p><strong id="error-title">{{ title }}</strong></p>
  <p id="error-detail">{{ detail }}</p>
</div>
<p><a class="button" href="/login">Start again</a> <a class="button secondary" href="/">Home</a></p>
{% endblock %}
"""

_TEMPLATES = jinja2.Environment(
    loader=jinja2.DictLoader({"base.html": _BASE, "home.html": _HOME, "error.html": _ERROR}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def create_demo_portal(
    *,
    bridge_issuer: str,
    client_id: str,
    client_secret: str,
    base_url: str,
    secret_key: str,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> Starlette:
    """Build the portal app: `/` (home / claims), `/login`, `/callback` (`{base_url}/callback`), `/logout`
    (RP-initiated, through the bridge) and `/backchannel-logout` (register `{base_url}/backchannel-logout`).

    `bridge_issuer` must be the bridge's exact issuer; discovery is read from
    `{bridge_issuer}/.well-known/openid-configuration` and the id_token's `iss` must equal it exactly.
    `transport`, when given, carries every call to the bridge (discovery, JWKS, token), e.g. in-process.
    """
    issuer = bridge_issuer
    redirect_uri = f"{base_url.rstrip('/')}/callback"
    client_kwargs: dict[str, object] = {"scope": "openid email profile", "code_challenge_method": "S256"}
    if transport is not None:
        client_kwargs["transport"] = transport
    logouts = LogoutRegistry(issuer=issuer, client_id=client_id)
    oauth = OAuth()
    client: Any = oauth.register(
        _CLIENT_NAME,
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{bridge_issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )

    async def home(request: Request) -> Response:
        user = request.session.get(_USER_KEY)
        if isinstance(user, dict) and logouts.ended(user.get("sid"), user.get("sub"), request.session.get("at", 0)):
            request.session.clear()  # the bridge said this session ended (back-channel logout)
            return _render("home.html", user=None, ended_elsewhere=True)
        if not isinstance(user, dict):
            return _render("home.html", user=None, ended_elsewhere=False)
        return _render(
            "home.html", user=user, who=_display_name(user), issuer=issuer, rows=_claim_rows(user),
            ended_elsewhere=False,
        )  # fmt: skip

    async def backchannel_logout(request: Request) -> Response:
        form = await request.form()
        token = form.get("logout_token")
        try:
            if not isinstance(token, str) or len(token) > 8192:
                raise LogoutTokenError("logout_token is missing")
            jwks = await client.fetch_jwk_set()
            claims = logouts.validate(token, jwks)
        except LogoutTokenError as exc:
            return JSONResponse(
                {"error": "invalid_request", "error_description": str(exc)}, status_code=400, headers=_NO_STORE
            )
        except (httpx2.HTTPError, ValueError) as exc:
            return JSONResponse({"error": "temporarily_unavailable", "error_description": str(exc)}, status_code=503)
        logouts.record(claims)
        return Response(status_code=200, headers=_NO_STORE)

    async def login(request: Request) -> Response:
        try:
            return cast(Response, await client.authorize_redirect(request, redirect_uri))
        except (httpx2.HTTPError, ValueError) as exc:
            return _error_page(
                "The bridge could not be reached",
                f"Reading the bridge's discovery document failed: {exc}",
                status_code=502,
            )

    async def callback(request: Request) -> Response:
        claims_options = {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
        }
        try:
            token = await client.authorize_access_token(request, claims_options=claims_options)
        except (AuthlibBaseError, JoseError) as exc:
            return _error_page(*_describe(exc), status_code=400)
        except (httpx2.HTTPError, ValueError) as exc:  # unreachable, HTTP 5xx or a non-JSON answer
            return _error_page("The bridge could not complete the sign-in", str(exc), status_code=502)
        userinfo = token.get("userinfo") if isinstance(token, Mapping) else None
        if not isinstance(userinfo, Mapping):
            return _error_page(
                "No identity in the answer", "The bridge returned no id_token to validate.", status_code=400
            )
        request.session.clear()
        request.session[_USER_KEY] = dict(userinfo)
        request.session["at"] = time.time()
        if isinstance(token.get("id_token"), str):
            request.session["id_token"] = token["id_token"]
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        """RP-initiated logout: end the local session, then the bridge's (which tells every other portal)."""
        id_token = request.session.get("id_token")
        request.session.clear()
        try:
            end_session = (await client.load_server_metadata()).get("end_session_endpoint")
        except (httpx2.HTTPError, ValueError):
            end_session = None
        if not isinstance(end_session, str):  # a provider without RP-initiated logout: local sign-out only
            return RedirectResponse("/", status_code=303)
        query = {"client_id": client_id, "post_logout_redirect_uri": f"{base_url.rstrip('/')}/"}
        if isinstance(id_token, str):
            query["id_token_hint"] = id_token
        return RedirectResponse(f"{end_session}?{urlencode(query)}", status_code=303)

    return Starlette(
        routes=[
            Route("/", home),
            Route("/login", login),
            Route("/callback", callback),
            Route("/logout", logout),
            Route("/backchannel-logout", backchannel_logout, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=8 * 3600,
                same_site="lax",
                https_only=base_url.startswith("https://"),
            )
        ],
    )


def _describe(exc: AuthlibBaseError | JoseError) -> tuple[str, str]:
    """A readable title and detail for a failed callback; the error code stays visible for debugging."""
    code = str(exc.error or type(exc).__name__)
    description = str(exc.description or "")
    if code == "mismatching_state":
        return (
            "This sign-in answer does not belong to a sign-in started here",
            "The state parameter did not match (the link was altered, reused, or the session expired). "
            "Please start again. [mismatching_state]",
        )
    if isinstance(exc, JoseError):
        return ("The id_token from the bridge was rejected", f"{description} [{code}]")
    return ("The bridge refused the sign-in", f"{description} [{code}]" if description else code)


def _display_name(user: Mapping[str, object]) -> str:
    for key in ("name", "email", "preferred_username", "sub"):
        value = user.get(key)
        if isinstance(value, str) and value:
            return value
    return "unknown user"


def _claim_rows(user: Mapping[str, object]) -> list[dict[str, str]]:
    rows = []
    for name in sorted(user):
        value = user[name]
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        note = ""
        if name in _TIME_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
            note = dt.datetime.fromtimestamp(value, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        rows.append({"name": name, "value": text, "note": note})
    return rows


def _render(template: str, *, status_code: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(_TEMPLATES.get_template(template).render(**context), status_code=status_code)


def _error_page(title: str, detail: str, *, status_code: int) -> HTMLResponse:
    return _render("error.html", status_code=status_code, title=title, detail=detail)
