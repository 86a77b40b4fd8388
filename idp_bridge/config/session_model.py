"""Configuration of session rules per role, back-channel logout delivery and forward-auth (validation only)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, StrictBool, field_validator

from idp_bridge.config.section import Section

RoleName = Literal["super_admin", "admin", "technician", "auditor"]  # = policies.roles.ROLES (tested)
FORWARD_AUTH_CLIENT_ID = "idp-bridge:forward-auth"
"""The pseudo-portal whose logins come from forward-auth; reserved (no portal may use this client_id)."""
ADMIN_CLIENT_ID = "idp-bridge:admin"
"""The pseudo-portal of the built-in admin console (/admin); reserved like FORWARD_AUTH_CLIENT_ID."""
BUILT_IN_CLIENTS = frozenset({FORWARD_AUTH_CLIENT_ID, ADMIN_CLIENT_ID})
"""Logins of these return to a bridge or proxy URL without an authorization code."""

_DAY = 86400


class RoleSessionConfig(Section):
    """One role's session rules; an omitted option takes the value of the same name in [sessions]."""

    idle_timeout_seconds: Annotated[int, Field(ge=60, le=30 * _DAY)] | None = None
    lifetime_seconds: Annotated[int, Field(ge=60, le=30 * _DAY)] | None = None
    max_sessions: Annotated[int, Field(ge=1, le=100)] | None = None


class BackchannelLogoutConfig(Section):
    timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 5.0
    attempts: Annotated[int, Field(ge=1, le=10)] = 3
    retry_delay_seconds: Annotated[float, Field(ge=0, le=60)] = 1.0


class ForwardAuthRoute(Section):
    """A path prefix that needs multi-factor authentication done at most `mfa_max_age_seconds` ago."""

    path_prefix: str
    mfa_max_age_seconds: Annotated[int, Field(ge=0, le=_DAY)]
    host: str | None = None
    # The weakest level the route accepts (docs/acr.md): any second factor, or the authenticator app's level.
    min_acr: Literal["urn:idp-bridge:loa:mfa-sent-code", "urn:idp-bridge:loa:2"] = "urn:idp-bridge:loa:mfa-sent-code"

    @field_validator("path_prefix")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/") or "?" in value or "#" in value or ".." in value:
            raise ValueError("must be an absolute path without '..', query or fragment")
        return value


class ForwardAuthConfig(Section):
    protected_hosts: tuple[str, ...] = ()
    allowed_providers: tuple[str, ...] | None = None
    routes: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,63}$")], ForwardAuthRoute] = Field(
        default_factory=dict
    )

    @field_validator("protected_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for host in value:
            if not host or urlsplit(f"//{host}").hostname is None or any(c in host for c in "/?#@ "):
                raise ValueError(f"{host!r} is not a host name (with an optional :port)")
        return value


class AdminConsoleConfig(Section):
    """The built-in admin console (/admin): it signs security teams in through the bridge itself."""

    enabled: StrictBool = True
    allowed_providers: tuple[str, ...] | None = None


def valid_redirect_uri(uri: str) -> str | None:
    """Why `uri` cannot be registered as a redirect target, or None when it can."""
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{uri!r} is not an absolute http(s) URL"
    if parts.fragment:
        return f"{uri!r} must not contain a fragment"
    return None
