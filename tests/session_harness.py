"""Test harness for sessions and logout: configs with the session options, a REAL back-channel logout receiver
(uvicorn on 127.0.0.1 in a thread) that validates logout tokens with joserfc, and a bridge served over HTTP."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idp_bridge.config.mfa_model import MFAConfig
from idp_bridge.config.model import Config, SessionConfig
from idp_bridge.config.session_model import ForwardAuthConfig, ForwardAuthRoute
from tests.bridge_harness import BRIDGE_ISSUER, PORTAL_ID, PUBLIC_PORTAL_ID, free_port, make_config

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def session_config(
    tmp_path: Path, upstreams: Mapping[str, str], *, key_file: Path, issuer: str = BRIDGE_ISSUER,
    backchannel_uri: str | None = None, refresh: bool = False, protected_hosts: tuple[str, ...] = (),
    sessions: Mapping[str, Any] | None = None, backchannel: Mapping[str, Any] | None = None,
    mfa: MFAConfig | None = None,
) -> Config:  # fmt: skip
    """make_config plus: the confidential portal's back-channel URI, post-logout URIs and refresh tokens, the
    forward-auth hosts (with an /admin prefix needing MFA within 600 s), session/back-channel overrides and MFA."""
    base = make_config(tmp_path, upstreams, key_file=key_file, issuer=issuer, mfa=mfa)
    portals = dict(base.portals)
    portals[PORTAL_ID] = portals[PORTAL_ID].model_copy(
        update={
            "backchannel_logout_uri": backchannel_uri,
            "post_logout_redirect_uris": ("http://127.0.0.1:7001/signed-out",),
            "allow_refresh_tokens": refresh,
        }
    )
    portals[PUBLIC_PORTAL_ID] = portals[PUBLIC_PORTAL_ID].model_copy(
        update={"post_logout_redirect_uris": ("http://127.0.0.1:7002/bye",)}
    )
    forward = ForwardAuthConfig(
        protected_hosts=protected_hosts,
        routes={"admin": ForwardAuthRoute(path_prefix="/admin", mfa_max_age_seconds=600)},
    )
    return base.model_copy(
        update={
            "portals": portals,
            "forward_auth": forward,
            "sessions": SessionConfig.model_validate({**base.sessions.model_dump(), **(sessions or {})}),
            "backchannel_logout": base.backchannel_logout.model_copy(
                update=dict(backchannel or {"retry_delay_seconds": 0.05, "timeout_seconds": 2.0})
            ),
        }
    )


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int) -> Iterator[str]:
    """A real HTTP server for `app` on 127.0.0.1:`port` for the `with` block."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class LogoutReceiver:
    """A portal's back-channel logout endpoint. `statuses` are answered in turn (then 200); `delay` seconds are
    spent before answering. Every POSTed logout_token lands in `tokens`."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    tokens: queue.Queue[str] = field(default_factory=queue.Queue)
    url: str = ""

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            form = await request.form()
            token = form.get("logout_token")
            if isinstance(token, str):
                self.tokens.put(token)
            if self.delay:
                import asyncio

                await asyncio.sleep(self.delay)
            status = self.statuses.pop(0) if self.statuses else 200
            return Response(status_code=status, headers={"Cache-Control": "no-store"})

        return Starlette(routes=[Route("/backchannel-logout", receive, methods=["POST"])])

    def next_token(self, timeout: float = 10.0) -> str:
        """The next logout token received (waits for the background delivery; fails after `timeout`)."""
        return self.tokens.get(timeout=timeout)

    def assert_none(self, wait: float = 0.3) -> None:
        with contextlib.suppress(queue.Empty):
            token = self.tokens.get(timeout=wait)
            raise AssertionError(f"unexpected logout token: {token[:40]}...")


@contextlib.contextmanager
def logout_receiver(**kwargs: Any) -> Iterator[LogoutReceiver]:
    receiver = LogoutReceiver(**kwargs)
    port = free_port()
    with serve_in_thread(receiver.app(), port) as base:
        receiver.url = f"{base}/backchannel-logout"
        yield receiver


def validate_logout_token(token: str, jwks: Mapping[str, Any], issuer: str, audience: str) -> dict[str, Any]:
    """What a portal must check (Back-Channel Logout §2.6): signature against the bridge's JWKS, typ, iss, aud,
    iat/exp, the back-channel event, sid or sub, and NO nonce. Raises AssertionError when any check fails."""
    decoded = jwt.decode(token, KeySet.import_key_set(dict(jwks)), algorithms=["RS256", "ES256"])
    assert decoded.header.get("typ") == "logout+jwt", decoded.header
    claims = dict(decoded.claims)
    assert claims["iss"] == issuer
    aud = claims["aud"]
    assert audience == aud or (isinstance(aud, list) and audience in aud)
    assert isinstance(claims["iat"], int) and claims["exp"] > claims["iat"]
    assert claims["events"] == {BACKCHANNEL_EVENT: {}}
    assert "nonce" not in claims
    assert isinstance(claims["jti"], str) and claims["jti"]
    assert claims.get("sid") or claims.get("sub")
    return claims


def jwks_of(issuer_client: Any) -> dict[str, Any]:
    response = issuer_client.get("/jwks")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


def http_client() -> httpx2.Client:
    return httpx2.Client(timeout=10.0, trust_env=False)
