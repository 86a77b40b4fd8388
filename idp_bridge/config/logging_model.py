"""The `[logging]` section: log format and level, the access log and how often forward-auth successes are logged."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from idp_bridge.config.section import Section


class LoggingConfig(Section):
    format: Literal["text", "json"] = Field(default="text", description="One line per record; json for pipelines.")
    level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: StrictBool = Field(default=True, description="One line per HTTP request (`idp-bridge serve`).")
    forward_auth_success_sample_rate: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        default=0.0,
        description="Share of forward-auth 200 answers given an access-log line; refusals and redirects always.",
    )
