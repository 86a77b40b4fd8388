"""The admin API's request bodies (pydantic): validated strictly, their JSON Schema published in OpenAPI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from idp_bridge.policy.document import AdminRole, PolicyDocument


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyDryRun(_Body):
    policy: PolicyDocument


class PolicySave(_Body):
    policy: PolicyDocument
    comment: str = Field(min_length=1, max_length=500, description="Why: kept with the version.")
    base_version: int | None = Field(
        default=None, ge=1, le=2**31, description="The version the edit started from; a 409 if another was saved."
    )


class PolicyRollback(_Body):
    version: int = Field(ge=1, le=2**31)
    comment: str = Field(default="", max_length=500)


class TechnicianUpdate(_Body):
    """Only the fields given change. Changing MFA (method, enforced) signs the technician out everywhere."""

    role: AdminRole | None = None
    mfa_method: Literal["totp", "email", "sms"] | None = None
    enforced: bool | None = None
    idle_timeout_seconds: int | None = Field(
        default=None, ge=60, le=30 * 86400, description="The technician's own idle timeout (new sessions)."
    )
    session_limit: int | None = Field(
        default=None, ge=1, le=100, description="The technician's own concurrent-session limit (max_sessions)."
    )
    disabled: bool | None = None
    clear_idle_timeout: bool = False
    clear_session_limit: bool = False


class TokenCreate(_Body):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=20)
    expires_in_seconds: int = Field(ge=60, le=366 * 86400)
