"""Forward-auth request targets: the original URL a proxy reports, checked against the protected hosts, and the
sign-in URL a request is sent to (never an open redirect: only protected hosts are ever returned to, and never
over http when the bridge itself is on https)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from idp_bridge.config.model import Config
from idp_bridge.oidc.assurance import acr_at_least
from policies.route_rules import RouteRule

MAX_URI = 4096


@dataclass(frozen=True)
class ForwardAuthSettings:
    protected_hosts: frozenset[str]
    rules: tuple[RouteRule, ...]
    sign_in_url: str
    # Return URLs must be https: true whenever the issuer is (always outside server.dev_mode), so a return URL can
    # never downgrade the browser to http, where the session's Secure cookie is not sent and the page is forgeable.
    https_only: bool = False

    @classmethod
    def from_config(cls, config: Config) -> ForwardAuthSettings:
        fa = config.forward_auth
        return cls(
            protected_hosts=frozenset(h.lower() for h in fa.protected_hosts),
            rules=tuple(
                RouteRule(path_prefix=r.path_prefix, mfa_max_age_seconds=r.mfa_max_age_seconds,
                          host=r.host.lower() if r.host else None, acr=r.min_acr,
                          accepted_acr=acr_at_least(r.min_acr))
                for r in fa.routes.values()
            ),
            sign_in_url=f"{config.server.issuer}/forward-auth/sign-in",
            https_only=urlsplit(config.server.issuer).scheme == "https",
        )


@dataclass(frozen=True)
class Target:
    """The request the proxy is asking about."""

    method: str
    scheme: str
    host: str  # lower-case, with :port when the proxy sent one
    uri: str  # path and query as the client sent them

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.uri}"


def _clean(value: str | None, limit: int) -> str | None:
    if value is None or not value or len(value) > limit or not value.isprintable() or not value.isascii():
        return None
    return value


def target_from_headers(headers: Mapping[str, str]) -> Target | None:  # keys lower-case
    """X-Forwarded-Proto/Host/Uri/Method (nginx sets them in the snippet; Caddy and Traefik send them), or
    X-Original-URL. None when missing or malformed (the caller answers 400, never guesses)."""
    for name, limit in (("x-original-url", MAX_URI), ("x-forwarded-uri", MAX_URI), ("x-forwarded-method", 16)):
        if name in headers and _clean(headers[name], limit) is None:
            return None  # present but malformed: never guess
    original = _clean(headers.get("x-original-url"), MAX_URI)
    scheme = _clean(headers.get("x-forwarded-proto"), 8)
    host = _clean(headers.get("x-forwarded-host"), 255)
    uri = _clean(headers.get("x-forwarded-uri"), MAX_URI)
    if (scheme is None or host is None) and original is not None:
        parts = urlsplit(original)
        scheme, host = parts.scheme, parts.netloc
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
    if scheme is None or host is None:
        return None
    uri = uri or "/"
    method = _clean(headers.get("x-forwarded-method"), 16) or "GET"
    if scheme not in ("http", "https") or not uri.startswith("/") or uri.startswith("//"):
        return None
    if any(c in host for c in "/\\@?#") or urlsplit(f"//{host}").hostname is None:
        return None
    return Target(method.upper(), scheme, host.lower(), uri)


def return_target(rd: str, settings: ForwardAuthSettings) -> Target | None:
    """The URL to return to after signing in, if it is an absolute http(s) URL on a protected host."""
    if len(rd) > MAX_URI or not rd.isprintable() or not rd.isascii():
        return None
    parts = urlsplit(rd)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.username or parts.password:
        return None
    if settings.https_only and parts.scheme != "https":
        return None  # no scheme downgrade
    if parts.netloc.lower() not in settings.protected_hosts or "\\" in parts.netloc:
        return None
    uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target("GET", parts.scheme, parts.netloc.lower(), uri)


def sign_in_url(settings: ForwardAuthSettings, target: Target) -> str:
    """The sign-in URL for a checked request; a request the proxy reports as http returns over https when the
    bridge is https-only (return_target would refuse the http URL)."""
    url = target.url
    if settings.https_only and target.scheme == "http":
        url = "https" + url[len("http") :]
    return f"{settings.sign_in_url}?rd={quote(url, safe='')}"
