"""The routes of the bridge's OpenID Provider endpoints and of the login flow's steps."""

from __future__ import annotations

from starlette.routing import Route

from idp_bridge.endpoints import (
    authorize,
    callback,
    introspect,
    login,
    logout,
    metadata,
    session_page,
    token,
    userinfo,
)

ENDPOINT_ROUTES = [
    Route("/.well-known/openid-configuration", metadata.openid_configuration, methods=["GET"]),
    Route("/jwks", metadata.jwks, methods=["GET"]),
    Route("/authorize", authorize.authorize, methods=["GET", "POST"]),
    Route("/login", login.choose, methods=["GET"]),
    Route("/login/{provider_id}", login.start, methods=["GET"]),
    Route("/callback/{provider_id}", callback.callback, methods=["GET", "POST"]),
    Route("/token", token.token, methods=["POST"]),
    Route("/userinfo", userinfo.userinfo, methods=["GET", "POST"]),
    Route("/introspect", introspect.introspect, methods=["POST"]),
    Route("/logout", logout.logout, methods=["GET", "POST"]),
    Route("/logout/confirm", logout.confirm, methods=["POST"]),
    Route("/session", session_page.page, methods=["GET"]),
    Route("/session/status", session_page.status, methods=["GET"]),
    Route("/session/keepalive", session_page.keepalive, methods=["POST"]),
    Route("/session/timer.js", session_page.timer_js, methods=["GET"]),
]
