"""The `[mfa]` configuration: local second factors (TOTP, recovery codes, email and SMS codes) and who needs them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, StrictBool, field_validator, model_validator

from idp_bridge.config.section import Section
from idp_bridge.config.session_model import RoleName as Role  # one list of roles (policies.roles)

Method = Literal["totp", "email", "sms"]


class EmailConfig(Section):
    """SMTP delivery of one-time codes."""

    host: str = Field(description="SMTP server.")
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    from_address: str = Field(description="Sender address of code emails.")
    subject: str = "Your sign-in code"
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0


class SMSConfig(Section):
    """Delivery of one-time codes through an HTTP SMS gateway (a JSON POST)."""

    url: str = Field(description="Gateway endpoint receiving a JSON POST per message.")
    auth_header: SecretStr | None = Field(default=None, description="Value of the Authorization header.")
    body_template: dict[str, str] = Field(
        default_factory=lambda: {"to": "{to}", "text": "{message}"},
        description="JSON body; '{to}' and '{message}' in values are replaced.",
    )
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("body_template")
    @classmethod
    def _mentions_placeholders(cls, value: dict[str, str]) -> dict[str, str]:
        text = " ".join(value.values())
        if "{to}" not in text or "{message}" not in text:
            raise ValueError("must contain '{to}' and '{message}' in its values")
        return value


class MFAConfig(Section):
    required: StrictBool = Field(default=True, description="MFA for every login unless a portal or policy says not.")
    required_roles: tuple[Role, ...] = ("super_admin", "admin")
    technician_may_disable: StrictBool = False
    technician_may_choose_method: StrictBool = True
    default_method: Method = "totp"
    issuer_label: Annotated[str, Field(min_length=1, max_length=64)] = "idp-bridge"
    encryption_key: SecretStr | None = Field(
        default=None, description="Encrypts TOTP secrets at rest; default: derived from server.secret_key."
    )
    previous_encryption_key: SecretStr | None = None
    max_failures: Annotated[int, Field(ge=1, le=100)] = 10
    delay_after_failures: Annotated[int, Field(ge=1, le=100)] = 3
    failure_delay_seconds: Annotated[int, Field(ge=0, le=3600)] = 5
    max_failure_delay_seconds: Annotated[int, Field(ge=0, le=86400)] = 300
    otp_lifetime_seconds: Annotated[int, Field(ge=60, le=900)] = 180
    otp_max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    otp_resend_cooldown_seconds: Annotated[int, Field(ge=0, le=3600)] = 60
    # Send caps (store-counted, so they hold across workers and instances) over a sliding window.
    otp_send_window_seconds: Annotated[int, Field(ge=60, le=86400)] = 900
    otp_max_sends_per_account: Annotated[int, Field(ge=1, le=100)] = 5
    otp_max_sends_per_ip: Annotated[int, Field(ge=1, le=10000)] = 30
    otp_max_sends_global: Annotated[int, Field(ge=1, le=1000000)] = 300
    remember_device_days: Annotated[int, Field(ge=0, le=90)] = 30
    remember_device_max: Annotated[int, Field(ge=1, le=50)] = 5
    email: EmailConfig | None = None
    sms: SMSConfig | None = None

    @field_validator("encryption_key", "previous_encryption_key")
    @classmethod
    def _key_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _default_method_deliverable(self) -> MFAConfig:
        if self.default_method == "email" and self.email is None:
            raise ValueError("default_method 'email' needs an [mfa.email] table")
        if self.default_method == "sms" and self.sms is None:
            raise ValueError("default_method 'sms' needs an [mfa.sms] table")
        return self

    def methods(self) -> tuple[Method, ...]:
        """The methods this deployment can offer (email and SMS only when configured)."""
        offered: list[Method] = ["totp"]
        if self.email is not None:
            offered.append("email")
        if self.sms is not None:
            offered.append("sms")
        return tuple(offered)
