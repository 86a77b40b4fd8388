"""Registered portals (the bridge's OIDC clients) and how a portal proves who it is at /token."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from idp_bridge.config.model import Config
from idp_bridge.oidc.errors import OAuthError

# RFC 6749 §5.2: a client that tried the Authorization header gets a 401 with a challenge for its scheme.
_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="idp-bridge"'}
# One answer for every failed client authentication: which client_ids exist, and which are public, is not said.
CLIENT_AUTH_FAILED = "client authentication failed"


@dataclass(frozen=True)
class Portal:
    client_id: str
    display_name: str
    client_secret: str | None
    redirect_uris: tuple[str, ...]
    backchannel_logout_uri: str | None = None
    post_logout_redirect_uris: tuple[str, ...] = ()
    allow_refresh_tokens: bool = False

    @property
    def is_public(self) -> bool:
        return self.client_secret is None

    def accepts_redirect_uri(self, uri: str) -> bool:
        """Exact string match against the registered list (RFC 9700 §4.1.3): no wildcards, no normalising."""
        return uri in self.redirect_uris


class PortalRegistry:
    def __init__(self, portals: Mapping[str, Portal]) -> None:
        self._portals = dict(portals)

    @classmethod
    def from_config(cls, config: Config) -> PortalRegistry:
        return cls(
            {
                client_id: Portal(
                    client_id=client_id,
                    display_name=p.display_name,
                    client_secret=p.client_secret.get_secret_value() if p.client_secret else None,
                    redirect_uris=p.redirect_uris,
                    backchannel_logout_uri=p.backchannel_logout_uri,
                    post_logout_redirect_uris=p.post_logout_redirect_uris,
                    allow_refresh_tokens=p.allow_refresh_tokens,
                )
                for client_id, p in config.portals.items()
            }
        )

    def get(self, client_id: str) -> Portal | None:
        return self._portals.get(client_id)

    def all(self) -> tuple[Portal, ...]:
        return tuple(self._portals.values())

    def authenticate(self, authorization: str | None, form: Mapping[str, str]) -> Portal:
        """The portal making a /token request, by client_secret_basic, client_secret_post or, for public
        clients, none. Raises OAuthError(invalid_client) on any mismatch, with a 401 when Basic was tried."""
        body_id = form.get("client_id")
        body_secret = form.get("client_secret")
        if authorization is not None and authorization[:6].lower() == "basic ":
            if body_secret is not None:
                raise OAuthError("invalid_request", "use only one client authentication method")
            client_id, secret = _parse_basic(authorization[6:])
            if body_id is not None and body_id != client_id:
                raise OAuthError("invalid_request", "client_id in the body does not match the credentials")
            return self._check_secret(client_id, secret, basic=True)
        if authorization is not None:
            raise OAuthError("invalid_client", CLIENT_AUTH_FAILED, status=401, headers=_BASIC_CHALLENGE)
        if body_id is None:
            raise OAuthError("invalid_client", CLIENT_AUTH_FAILED, status=401)
        if body_secret is not None:
            return self._check_secret(body_id, body_secret, basic=False)
        portal = self._portals.get(body_id)
        if portal is None or not portal.is_public:
            raise OAuthError("invalid_client", CLIENT_AUTH_FAILED, status=401)
        return portal

    def _check_secret(self, client_id: str, secret: str, *, basic: bool) -> Portal:
        portal = self._portals.get(client_id)
        expected = portal.client_secret if portal else None
        # Compare even for unknown clients so timing does not reveal which client ids exist.
        ok = hmac.compare_digest(secret.encode(), (expected or "\x00" * 32).encode())
        if portal is None or expected is None or not ok:
            raise OAuthError(
                "invalid_client",
                CLIENT_AUTH_FAILED,
                status=401,
                headers=_BASIC_CHALLENGE if basic else None,
            )
        return portal


def claimed_client_id(authorization: str | None, form: Mapping[str, str]) -> str | None:
    """The client_id a /token request claims (Basic credentials first, else the form), whether or not it
    authenticates: what the back-off and the audit event are keyed on."""
    if authorization is not None and authorization[:6].lower() == "basic ":
        try:
            return _parse_basic(authorization[6:])[0] or None
        except OAuthError:
            return form.get("client_id")
    return form.get("client_id")


def _parse_basic(encoded: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError as exc:  # binascii.Error, UnicodeDecodeError, and non-ASCII text (which b64decode refuses)
        raise OAuthError("invalid_client", CLIENT_AUTH_FAILED, status=401, headers=_BASIC_CHALLENGE) from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", CLIENT_AUTH_FAILED, status=401, headers=_BASIC_CHALLENGE)
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Base64.
    return unquote_plus(client_id), unquote_plus(secret)
