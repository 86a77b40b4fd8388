"""Test harness: a bridge configuration builder, an in-process bridge, and a driver that walks a login
through the bridge and a REAL upstream OIDC provider process (oidc-provider-mock) like a browser would."""

from __future__ import annotations

import html
import re
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx2
from pydantic import SecretStr
from starlette.testclient import TestClient

from idp_bridge.app import create_app
from idp_bridge.clock import Clock
from idp_bridge.config.mfa_model import MFAConfig
from idp_bridge.config.model import (
    Config,
    OIDCProviderConfig,
    PolicyConfig,
    PortalConfig,
    ServerConfig,
    SigningConfig,
    StoreConfig,
    TokenConfig,
)

BRIDGE_ISSUER = "http://127.0.0.1:8999"
PORTAL_ID = "console"
PORTAL_SECRET = "console-secret-0123456789"
PORTAL_REDIRECT = "http://127.0.0.1:7001/callback"
PUBLIC_PORTAL_ID = "spa"
PUBLIC_REDIRECT = "http://127.0.0.1:7002/cb"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_config(
    tmp_path: Path,
    upstreams: Mapping[str, str],
    *,
    key_file: Path,
    allowed: tuple[str, ...] | None = None,
    portal_providers: Mapping[str, tuple[str, ...] | None] | None = None,
    issuer: str = BRIDGE_ISSUER,
    mfa: MFAConfig | None = None,
) -> Config:
    """A bridge on the given upstreams. MFA is off unless `mfa` says otherwise: tests of other features sign in
    with the upstream alone (tests/mfa turn it on)."""
    portal_providers = portal_providers or {}
    portals = {
        PORTAL_ID: PortalConfig(
            display_name="Device console",
            client_secret=SecretStr(PORTAL_SECRET),
            redirect_uris=(PORTAL_REDIRECT, "http://127.0.0.1:7001/other"),
            allowed_providers=portal_providers.get(PORTAL_ID),
        ),
        PUBLIC_PORTAL_ID: PortalConfig(
            display_name="Admin dashboard",
            redirect_uris=(PUBLIC_REDIRECT,),
            allowed_providers=portal_providers.get(PUBLIC_PORTAL_ID),
        ),
    }
    return Config(
        server=ServerConfig(issuer=issuer, dev_mode=True, secret_key=SecretStr("s" * 40)),
        store=StoreConfig(path=str(tmp_path / "bridge.sqlite3")),
        signing=SigningConfig(key_file=str(key_file)),
        tokens=TokenConfig(),
        policy=PolicyConfig(allowed_providers=allowed if allowed is not None else tuple(upstreams)),
        providers={
            pid: OIDCProviderConfig(
                kind="oidc",
                display_name=f"{pid.title()} SSO",
                issuer=url,
                client_id=f"bridge-at-{pid}",
                client_secret=SecretStr("upstream-secret"),
            )
            for pid, url in upstreams.items()
        },
        portals=portals,
        mfa=mfa if mfa is not None else MFAConfig(required=False),
    )


_PROVIDER_LINK = re.compile(r'href="(/login/([^"?]+)\?request=[^"]+)"')


@dataclass
class LoginResult:
    """Where the login ended: the portal redirect (with code or error) or a bridge page."""

    final_url: str | None
    page: httpx2.Response | None = None
    steps: list[str] = field(default_factory=list)

    @property
    def params(self) -> dict[str, str]:
        if self.final_url is None:
            return {}
        return {k: v[0] for k, v in parse_qs(urlsplit(self.final_url).query).items()}


class LoginDriver:
    """Follows redirects like a browser: bridge URLs go to the in-process bridge (`bridge` client, which keeps
    the bridge's cookies), everything else over real HTTP (the upstream process). Stops at `stop_prefix`."""

    def __init__(self, bridge: TestClient | httpx2.Client, issuer: str = BRIDGE_ISSUER) -> None:
        self.bridge = bridge
        self.issuer = issuer
        self.upstream = httpx2.Client(timeout=10.0)

    def close(self) -> None:
        self.upstream.close()

    def _send(self, method: str, url: str, data: dict[str, str] | None = None) -> httpx2.Response:
        if url.startswith(self.issuer):
            path = url[len(self.issuer) :]
            if isinstance(self.bridge, TestClient):
                return self.bridge.request(method, path, data=data, follow_redirects=False)
            return self.bridge.request(method, url, data=data, follow_redirects=False)
        return self.upstream.request(method, url, data=data, follow_redirects=False)

    def login(
        self,
        authorize_url: str,
        *,
        user: str = "alice",
        provider: str | None = None,
        stop_prefix: tuple[str, ...] = ("http://127.0.0.1:7001", "http://127.0.0.1:7002"),
        max_steps: int = 12,
        upstream_form: Mapping[str, str] | None = None,
    ) -> LoginResult:
        """`upstream_form` is what is posted to the upstream's sign-in form (default: sign in as `user`;
        `{"action": "deny"}` presses its Deny button)."""
        url = authorize_url if "://" in authorize_url else self.issuer + authorize_url
        steps: list[str] = []
        method, data = "GET", None
        for _ in range(max_steps):
            if url.startswith(stop_prefix):
                return LoginResult(final_url=url, steps=steps)
            steps.append(f"{method} {url.split('?')[0]}")
            response = self._send(method, url, data)
            method, data = "GET", None
            if response.status_code in (301, 302, 303, 307):
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code == 200 and "/oauth2/authorize" in url:
                method, data = "POST", dict(upstream_form or {"sub": user})  # the upstream's sign-in form
                continue
            links = dict((pid, href) for href, pid in _PROVIDER_LINK.findall(response.text))
            if response.status_code == 200 and links:
                if provider is None:
                    return LoginResult(final_url=None, page=response, steps=steps)
                url = self.issuer + links[provider].replace("&amp;", "&")
                continue
            return LoginResult(final_url=None, page=response, steps=steps)
        raise AssertionError(f"login did not finish in {max_steps} steps: {steps}")


def pkce_pair(verifier: str = "v" * 43) -> tuple[str, str]:
    from idp_bridge.oidc.token_exchange import s256

    return verifier, s256(verifier)


def authorize_query(
    *,
    client_id: str = PORTAL_ID,
    redirect_uri: str = PORTAL_REDIRECT,
    challenge: str | None = None,
    **extra: Any,
) -> dict[str, str]:
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid email profile",
        "state": "portal-state",
        "nonce": "portal-nonce",
        "code_challenge": challenge if challenge is not None else pkce_pair()[1],
        "code_challenge_method": "S256",
    }
    params.update({k: str(v) for k, v in extra.items()})
    return {k: v for k, v in params.items() if v != "__omit__"}


def authorize_url(**query: Any) -> str:
    return "/authorize?" + urlencode(authorize_query(**query))


@contextmanager
def running_bridge(config: Config, clock: Clock | None = None) -> Iterator[TestClient]:
    """An in-process bridge on `config` (optionally on an injected clock), like the `bridge_client` fixture."""
    with TestClient(create_app(config, clock=clock), base_url=BRIDGE_ISSUER) as client:
        yield client


def other_browser(client: TestClient) -> TestClient:
    """A second browser (its own, empty cookie jar) on the same running bridge: it shares the app's event
    loop thread, which the SQLite connection is bound to."""
    other = TestClient(client.app, base_url=BRIDGE_ISSUER)
    other.portal = client.portal
    return other


_ERROR_MESSAGE = re.compile(r'<p id="error-message">(.*?)</p>', re.S)
_ERROR_TITLE = re.compile(r'<h1 id="error-title">(.*?)</h1>', re.S)


def error_page_text(response: httpx2.Response) -> tuple[str, str]:
    """(title, message) of a bridge error page; fails when the response is not one (e.g. a stack trace)."""
    assert response.headers["content-type"].startswith("text/html"), response.text[:300]
    title, message = _ERROR_TITLE.search(response.text), _ERROR_MESSAGE.search(response.text)
    assert title and message, response.text[:300]
    assert "Traceback" not in response.text
    return html.unescape(title.group(1)), html.unescape(message.group(1))


def iter_upstreams(count: int) -> Iterator[int]:
    for _ in range(count):
        yield free_port()
