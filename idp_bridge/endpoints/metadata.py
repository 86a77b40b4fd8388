"""GET /.well-known/openid-configuration and /jwks: what portals need to discover and verify the bridge."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.oidc.assurance import ACR_VALUES_SUPPORTED
from idp_bridge.oidc.signing_keys import JWKS_MAX_AGE_SECONDS


def discovery_document(bridge: Bridge) -> dict[str, Any]:
    issuer = bridge.issuer
    document: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "introspection_endpoint": f"{issuer}/introspect",
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "jwks_uri": f"{issuer}/jwks",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [bridge.keys.algorithm],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash", "email", "name",
        ],
        "acr_values_supported": list(ACR_VALUES_SUPPORTED),
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }  # fmt: skip
    document.update(session_metadata(bridge))
    return document


def session_metadata(bridge: Bridge) -> dict[str, Any]:
    """RP-Initiated and Back-Channel Logout, and the refresh_token grant when a portal may use it."""
    grants = ["authorization_code"]
    if any(p.allow_refresh_tokens for p in bridge.portals.all()):
        grants.append("refresh_token")
    return {
        "grant_types_supported": grants,
        "end_session_endpoint": f"{bridge.issuer}/logout",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }


async def openid_configuration(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    return JSONResponse(discovery_document(bridge), headers={"Cache-Control": "public, max-age=300"})


async def jwks(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    cache = f"public, max-age={JWKS_MAX_AGE_SECONDS}"  # the rotation steps wait for caches this old to expire
    return JSONResponse(bridge.keys.public_jwks(), headers={"Cache-Control": cache})
