"""The contract every upstream provider module implements, and the identity it hands back.

A provider knows nothing of sessions, portals or policy. It turns a login into a redirect URL plus opaque
server-side flow state, and a callback into a validated `Identity`, or raises a `ProviderError`.

Exception tree::

    ProviderError                      (error_code: OAuth-style code, message: safe to show a user)
    ├── UpstreamDenied                 the upstream answered the callback with ?error=... (user cancelled, MFA unmet)
    │   └── AccountNotAllowed          the upstream vouched for an account outside the provider's allow-list
    ├── CallbackInvalid                the callback itself is malformed (missing code, iss mismatch per RFC 9207)
    ├── TokenRejected                  the id_token or token response failed validation (signature, iss, aud, ...)
    └── UpstreamUnavailable            discovery, JWKS or token endpoint unreachable or answering garbage
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Clock(Protocol):
    """The time source a provider reads (POSIX seconds); injected so tests never sleep."""

    def now(self) -> float: ...


@dataclass(frozen=True)
class OIDCSettings:
    """What an OpenID Connect based provider needs to know; built by the bridge from its configuration."""

    issuer: str
    client_id: str
    client_secret: str | None
    display_name: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    # What to ask the upstream for by way of MFA (Okta: acr_values; Entra: the `acrs` auth contexts via `claims`).
    request_acr_values: tuple[str, ...] = ()
    request_acrs: tuple[str, ...] = ()
    id_token_algorithms: tuple[str, ...] = ("RS256", "ES256")
    clock_skew_seconds: int = 60
    timeout_seconds: float = 10.0


class ProviderError(Exception):
    """A login through an upstream provider failed; `message` is safe to show, never contains secrets."""

    error_code = "server_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UpstreamDenied(ProviderError):
    error_code = "access_denied"


class AccountNotAllowed(UpstreamDenied):
    """A valid login of an account this provider does not accept: Entra tenant or Google domain not allowed,
    Google email not verified. Shown like any denial (403), never as a malformed response."""


class CallbackInvalid(ProviderError):
    error_code = "invalid_request"


class TokenRejected(ProviderError):
    error_code = "invalid_token"


class UpstreamUnavailable(ProviderError):
    error_code = "temporarily_unavailable"


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and what to keep server-side until the callback.

    `state` is the value sent upstream as the OAuth `state`; the bridge stores `flow_state` under it and hands it
    back to `finish_login` exactly once. `flow_state` must be JSON-serialisable.
    """

    url: str
    state: str
    flow_state: Mapping[str, Any]


@dataclass(frozen=True)
class LoginOptions:
    """What the bridge asks the upstream for on this login (all optional)."""

    login_hint: str | None = None
    prompt: str | None = None
    max_age: int | None = None


@dataclass(frozen=True)
class Identity:
    """The validated outcome of an upstream login.

    `issuer` + `subject` is the immutable user key (for Entra, `issuer` is per tenant and `subject` the `oid`);
    `email` is informational only and never used to find a user.
    `amr` is normalised to RFC 8176 values where a provider's value means the same thing; `raw_claims` keeps
    the validated id_token claims as received. Only claims of the signed id_token are used: evidence that appears
    only in userinfo never counts.
    """

    provider_id: str
    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    groups: tuple[str, ...] = ()
    amr: tuple[str, ...] = ()
    acr: str | None = None
    auth_time: int | None = None
    tenant: str | None = None
    raw_claims: Mapping[str, Any] = field(default_factory=dict)
    # MFA evidence context: what the bridge asked this upstream for on this login, and the Entra auth contexts
    # (`acrs`) its signed id_token says were satisfied. The trust decision is policies.mfa_trust's, not the provider's.
    kind: str = "oidc"
    requested_acr_values: tuple[str, ...] = ()
    requested_acrs: tuple[str, ...] = ()
    acrs: tuple[str, ...] = ()
    # Entra app roles (`roles`); and whether the upstream left groups out because there were too many (Entra's
    # "group overage"): then `groups` is empty but NOT "no groups", and a policy that needs groups must refuse.
    roles: tuple[str, ...] = ()
    groups_overage: bool = False
    # Claims providers.claims.safe_identity cut or cleaned (too long, control or bidi characters); audited.
    cut_claims: tuple[str, ...] = ()


class Provider(Protocol):
    """One upstream identity provider.

    `start_login` must not do blocking I/O other than (cached) discovery; `finish_login` validates everything it
    returns: an `Identity` is only ever built from a signature-checked id_token.
    """

    @property
    def id(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    async def start_login(self, callback_url: str, options: LoginOptions) -> LoginStart: ...

    async def finish_login(
        self, params: Mapping[str, str], flow_state: Mapping[str, Any], callback_url: str
    ) -> Identity: ...
