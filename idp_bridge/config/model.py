"""The configuration model: every option the bridge reads, its type, default and rule.

Validation only: no defaults are filled in by validators and nothing here touches the network. Cross-field rules
(a portal naming an unknown provider, an empty allow-list) live in `Config`'s model validator so that every
problem is reported together with the per-field ones.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(_Section):
    issuer: str = Field(description="Public base URL of the bridge; the `iss` of every token it signs.")
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    dev_mode: bool = Field(
        default=False,
        description="Allows http:// issuers and cookies without Secure. Never in production.",
    )
    secret_key: SecretStr = Field(description="Signs cookies. At least 32 characters.")
    max_parameter_length: Annotated[int, Field(ge=256, le=65536)] = 2048

    @field_validator("issuer")
    @classmethod
    def _issuer_is_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        if parts.query or parts.fragment or value.endswith("/"):
            raise ValueError("must have no query, fragment or trailing slash")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _https_outside_dev_mode(self) -> ServerConfig:
        if not self.dev_mode and urlsplit(self.issuer).scheme != "https":
            raise ValueError("issuer must use https unless dev_mode = true")
        return self


class StoreConfig(_Section):
    backend: Literal["sqlite"] = "sqlite"
    path: str = Field(default="idp-bridge.sqlite3", description="SQLite database file (WAL mode).")


class SigningConfig(_Section):
    algorithm: Literal["RS256", "ES256"] = "RS256"
    key_file: str = Field(
        default="idp-bridge-signing.json",
        description="JWK set of private signing keys; created with one key when missing. The newest key signs; "
        "older keys stay published in JWKS for verification during rotation.",
    )


class SessionConfig(_Section):
    cookie_name: str = "idp_bridge_session"
    lifetime_seconds: Annotated[int, Field(ge=60, le=30 * 86400)] = 12 * 3600
    idle_timeout_seconds: Annotated[int, Field(ge=60, le=30 * 86400)] = 30 * 60
    login_timeout_seconds: Annotated[int, Field(ge=30, le=3600)] = 600


class TokenConfig(_Section):
    code_lifetime_seconds: Annotated[int, Field(ge=5, le=60)] = 60
    id_token_lifetime_seconds: Annotated[int, Field(ge=60, le=86400)] = 300
    access_token_lifetime_seconds: Annotated[int, Field(ge=60, le=86400)] = 600


class OIDCProviderConfig(_Section):
    """A generic upstream OpenID Connect provider."""

    kind: Literal["oidc"]
    display_name: str
    issuer: str
    client_id: str
    client_secret: SecretStr | None = None
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    id_token_algorithms: tuple[Literal["RS256", "ES256", "PS256", "EdDSA"], ...] = ("RS256", "ES256")
    clock_skew_seconds: Annotated[int, Field(ge=0, le=300)] = 60
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("scopes")
    @classmethod
    def _openid_scope(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in value:
            raise ValueError("must include 'openid'")
        return value


ProviderConfig = OIDCProviderConfig


class PortalConfig(_Section):
    """A downstream portal (OIDC client) registered with the bridge."""

    display_name: str
    client_secret: SecretStr | None = Field(
        default=None, description="Omit for a public client (PKCE only, token_endpoint_auth_method=none)."
    )
    redirect_uris: tuple[str, ...]
    allowed_providers: tuple[str, ...] | None = Field(
        default=None, description="Subset of policy.allowed_providers; omitted means all globally allowed."
    )

    @field_validator("redirect_uris")
    @classmethod
    def _redirect_uris(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must list at least one URI")
        for uri in value:
            parts = urlsplit(uri)
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ValueError(f"{uri!r} is not an absolute http(s) URL")
            if parts.fragment:
                raise ValueError(f"{uri!r} must not contain a fragment")
        return value


class PolicyConfig(_Section):
    allowed_providers: tuple[str, ...] = Field(
        description="Providers that may be used at all. Must not be empty: nothing is allowed by default."
    )


class Config(_Section):
    server: ServerConfig
    store: StoreConfig = StoreConfig()
    signing: SigningConfig = SigningConfig()
    sessions: SessionConfig = SessionConfig()
    tokens: TokenConfig = TokenConfig()
    policy: PolicyConfig
    providers: dict[Annotated[str, Field(pattern=_ID)], ProviderConfig]
    portals: dict[Annotated[str, Field(min_length=1, max_length=128)], PortalConfig]

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        problems: list[str] = []
        if not self.policy.allowed_providers:
            problems.append("policy.allowed_providers: must name at least one provider (got [])")
        for name in self.policy.allowed_providers:
            if name not in self.providers:
                problems.append(f"policy.allowed_providers: unknown provider (got {name!r})")
        if not self.portals:
            problems.append("portals: must register at least one portal (got none)")
        for client_id, portal in self.portals.items():
            for name in portal.allowed_providers or ():
                if name not in self.providers:
                    problems.append(f"portals.{client_id}.allowed_providers: unknown provider (got {name!r})")
                elif name not in self.policy.allowed_providers:
                    problems.append(
                        f"portals.{client_id}.allowed_providers: not in policy.allowed_providers (got {name!r})"
                    )
            if portal.allowed_providers is not None and not portal.allowed_providers:
                problems.append(f"portals.{client_id}.allowed_providers: must not be empty (got [])")
        if not self.server.dev_mode:
            for pid, provider in self.providers.items():
                if urlsplit(provider.issuer).scheme != "https":
                    problems.append(
                        f"providers.{pid}.issuer: must use https unless server.dev_mode = true "
                        f"(got {provider.issuer!r})"
                    )
        if problems:
            raise CrossReferenceErrors(problems)
        return self


class CrossReferenceErrors(ValueError):
    """Several cross-field problems, each already in `section.key: what (got 'value')` form."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def is_valid_id(value: str) -> bool:
    return re.fullmatch(_ID, value) is not None
