"""The configuration model: every option the bridge reads, its type, default and rule.

Validation only: no defaults are filled in by validators and nothing here touches the network. Cross-field
rules (a portal naming an unknown provider, an empty allow-list) live in `cross_reference_problems`, which
`Config`'s model validator runs and which the loader also runs on raw data, so that every problem is reported
together with the per-field ones.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    StrictBool,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from idp_bridge.config.logging_model import LoggingConfig
from idp_bridge.config.mfa_model import MFAConfig
from idp_bridge.config.provider_models import (
    EntraProviderConfig,
    GoogleProviderConfig,
    IdentityRuleConfig,
    MFATrustConfig,
    OktaProviderConfig,
    identity_rule_problems,
)
from idp_bridge.config.role_mapping_model import RoleMapping, role_mapping_problems
from idp_bridge.config.section import Section, key_path
from idp_bridge.config.session_model import (
    BUILT_IN_CLIENTS,
    AdminConsoleConfig,
    BackchannelLogoutConfig,
    ForwardAuthConfig,
    RoleName,
    RoleSessionConfig,
    valid_redirect_uri,
)

_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_BOOL = TypeAdapter(StrictBool)  # as strict as the fields: "yes" and 1 are not true


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError("must be a CIDR like '10.0.0.0/8' (or one address) with no host bits set") from None
    return value


class ServerConfig(Section):
    issuer: str = Field(description="Public base URL of the bridge; the `iss` of every token it signs.")
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    dev_mode: StrictBool = Field(
        default=False,
        description="Allows http:// issuers and cookies without Secure. Never in production.",
    )
    secret_key: SecretStr = Field(description="Signs cookies. At least 32 characters.")
    max_parameter_length: Annotated[int, Field(ge=256, le=65536)] = 2048
    hsts_max_age_seconds: Annotated[
        int,
        Field(ge=0, le=2 * 365 * 86400, description="Strict-Transport-Security max-age outside dev mode; 0: none."),
    ] = 365 * 86400
    trusted_proxies: tuple[Annotated[str, AfterValidator(_cidr)], ...] = Field(
        default=(), description="CIDRs whose X-Forwarded-For/Forwarded/X-Forwarded-Proto/X-Request-ID are believed."
    )

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


class StoreConfig(Section):
    backend: Literal["sqlite"] = "sqlite"
    path: str = Field(default="idp-bridge.sqlite3", description="SQLite database file (WAL mode).")
    busy_timeout_ms: Annotated[int, Field(ge=0, le=30000)] = Field(
        default=2000, description="How long a request waits for another process's write lock before a 503."
    )


class SigningConfig(Section):
    algorithm: Literal["RS256", "ES256"] = "RS256"
    key_file: str = Field(
        default="idp-bridge-signing.json",
        description="JWK set of private signing keys; created with one key when missing. The active key "
        "signs; keys being introduced or retired stay published in JWKS (rotate with `idp-bridge keys`).",
    )
    reload_seconds: Annotated[int, Field(ge=1, le=3600)] = Field(
        default=60, description="How often, at most, each instance looks whether the key file changed."
    )


class SessionConfig(Section):
    cookie_name: str = "idp_bridge_session"
    lifetime_seconds: Annotated[int, Field(ge=60, le=30 * 86400)] = 12 * 3600
    idle_timeout_seconds: Annotated[int, Field(ge=60, le=30 * 86400)] = 30 * 60
    login_timeout_seconds: Annotated[int, Field(ge=30, le=3600)] = 600
    # Session rules (issue 4): defaults for roles without their own [sessions.roles.<role>] table.
    max_sessions: Annotated[int, Field(ge=1, le=100)] = 1
    roles: dict[RoleName, RoleSessionConfig] = Field(default_factory=dict)
    idle_warning_seconds: Annotated[int, Field(ge=0, le=3600)] = 120
    activity_write_interval_seconds: Annotated[int, Field(ge=1, le=300)] = 30
    sweep_interval_seconds: Annotated[int, Field(ge=1, le=3600)] = 30
    cookie_domain: str | None = None

    @model_validator(mode="after")
    def _host_cookie_has_no_domain(self) -> SessionConfig:
        # Browsers drop a __Host- cookie that carries a Domain: every login would silently fail.
        if self.cookie_domain is not None and self.cookie_name.startswith("__Host-"):
            raise ValueError(
                f"cookie_name {self.cookie_name!r} cannot be used with cookie_domain (a __Host- cookie "
                "has no Domain; leave the prefix to the bridge)"
            )
        return self


class TokenConfig(Section):
    code_lifetime_seconds: Annotated[int, Field(ge=5, le=60)] = 60
    id_token_lifetime_seconds: Annotated[int, Field(ge=60, le=86400)] = 300
    access_token_lifetime_seconds: Annotated[int, Field(ge=60, le=86400)] = 600


class OIDCProviderConfig(Section):
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
    mfa: MFATrustConfig = MFATrustConfig()

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


ProviderConfig = Annotated[
    OIDCProviderConfig | EntraProviderConfig | GoogleProviderConfig | OktaProviderConfig, Field(discriminator="kind")
]


class PortalConfig(Section):
    """A downstream portal (OIDC client) registered with the bridge."""

    display_name: str
    client_secret: SecretStr | None = Field(
        default=None, description="Omit for a public client (PKCE only, token_endpoint_auth_method=none)."
    )
    redirect_uris: tuple[str, ...]
    allowed_providers: tuple[str, ...] | None = Field(
        default=None, description="Subset of policy.allowed_providers; omitted means all globally allowed."
    )
    identity_rules: dict[str, IdentityRuleConfig] = Field(
        default_factory=dict, description="Per provider id: which accounts may sign in to this portal."
    )
    backchannel_logout_uri: str | None = None
    post_logout_redirect_uris: tuple[str, ...] = ()
    allow_refresh_tokens: StrictBool = False
    require_mfa: StrictBool | None = Field(default=None, description="Override mfa.required for this portal.")

    @field_validator("backchannel_logout_uri")
    @classmethod
    def _backchannel_uri(cls, value: str | None) -> str | None:
        problem = valid_redirect_uri(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("post_logout_redirect_uris")
    @classmethod
    def _post_logout_uris(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for uri in value:
            problem = valid_redirect_uri(uri)
            if problem:
                raise ValueError(problem)
        return value

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


class PolicyConfig(Section):
    allowed_providers: tuple[str, ...] = Field(
        description="Providers that may be used at all. Must not be empty: nothing is allowed by default."
    )
    identity_rules: dict[str, IdentityRuleConfig] = Field(
        default_factory=dict, description="Per provider id: which accounts may sign in at all."
    )
    role_mappings: tuple[RoleMapping, ...] = Field(
        default=(), description="Upstream groups and Entra app roles that give an admin role, checked at each login."
    )


class Config(Section):
    server: ServerConfig
    store: StoreConfig = StoreConfig()
    signing: SigningConfig = SigningConfig()
    sessions: SessionConfig = SessionConfig()
    tokens: TokenConfig = TokenConfig()
    policy: PolicyConfig
    providers: dict[Annotated[str, Field(pattern=_ID)], ProviderConfig]
    portals: dict[Annotated[str, Field(min_length=1, max_length=128)], PortalConfig]
    backchannel_logout: BackchannelLogoutConfig = BackchannelLogoutConfig()
    forward_auth: ForwardAuthConfig = ForwardAuthConfig()
    admin: AdminConsoleConfig = AdminConsoleConfig()
    mfa: MFAConfig = MFAConfig()
    logging: LoggingConfig = LoggingConfig()

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        problems = cross_reference_problems(self.model_dump())
        if problems:
            raise CrossReferenceErrors(problems)
        return self


def cross_reference_problems(data: Mapping[str, Any]) -> list[str]:
    """The cross-field problems of a config given as plain data (a validated model's dump or raw TOML).

    Works on unvalidated data too, so the loader can report these together with per-field errors; parts that
    are missing or of the wrong shape are skipped here, since per-field validation reports them.
    """
    problems: list[str] = []
    server, policy = _table(data.get("server")), _table(data.get("policy"))
    providers, portals = data.get("providers"), data.get("portals")
    known = set(providers) if isinstance(providers, Mapping) else None
    allowed = _names(policy.get("allowed_providers"))
    if allowed is not None:
        if not allowed:
            problems.append("policy.allowed_providers: must name at least one provider (got [])")
        for name in allowed:
            if known is not None and name not in known:
                problems.append(f"policy.allowed_providers: unknown provider (got {name!r})")
    if isinstance(portals, Mapping):
        if not portals:
            problems.append("portals: must register at least one portal (got none)")
        for client_id, portal in portals.items():
            key = key_path("portals", client_id, "allowed_providers")
            names = _names(_table(portal).get("allowed_providers"))
            for name in names or ():
                if known is not None and name not in known:
                    problems.append(f"{key}: unknown provider (got {name!r})")
                elif allowed and name not in allowed:  # an empty global list is reported once, above
                    problems.append(f"{key}: not in policy.allowed_providers (got {name!r})")
            if names is not None and not names:
                problems.append(f"{key}: must not be empty (got [])")
            if client_id in BUILT_IN_CLIENTS:
                problems.append(f"{key_path('portals', client_id)}: reserved for the bridge's own use")
    for section in ("forward_auth", "admin"):
        for name in _names(_table(data.get(section)).get("allowed_providers")) or ():
            if known is not None and name not in known:
                problems.append(f"{section}.allowed_providers: unknown provider (got {name!r})")
    if not _flag(server.get("dev_mode", False)):
        issuers: dict[tuple[str, ...], object] = {("server", "issuer"): server.get("issuer")}
        if isinstance(providers, Mapping):
            issuers |= {("providers", pid, "issuer"): _table(p).get("issuer") for pid, p in providers.items()}
        for where, issuer in issuers.items():
            # Only http: anything else is not a URL at all, which the issuer's own validator reports.
            if isinstance(issuer, str) and urlsplit(issuer).scheme == "http":
                problems.append(f"{key_path(*where)}: must use https unless server.dev_mode = true (got {issuer!r})")
    problems += role_mapping_problems(policy.get("role_mappings"), providers, "policy.role_mappings")
    return problems + identity_rule_problems(data)


def _flag(value: object) -> bool:
    """A boolean as pydantic reads it; an invalid one counts as false (and is reported by its field)."""
    try:
        return _BOOL.validate_python(value)
    except ValidationError:
        return False


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _names(value: object) -> tuple[str, ...] | None:
    """A list of names, or None when absent or malformed (left to per-field validation)."""
    if isinstance(value, list | tuple) and all(isinstance(name, str) for name in value):
        return tuple(value)
    return None


class CrossReferenceErrors(ValueError):
    """Several cross-field problems, each already in `section.key: what (got 'value')` form."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def is_valid_id(value: str) -> bool:
    return re.fullmatch(_ID, value) is not None
