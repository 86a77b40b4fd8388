"""Configuration of role mappings: upstream groups and Entra app roles that give an admin role (validation only).

The same model is a part of the editable policy document (idp_bridge/policy/document.py); the config file's
`[policy] role_mappings` are its version 1. A mapping is evaluated at each upstream login, never for live sessions.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from idp_bridge.config.session_model import RoleName


class RoleMapping(BaseModel):
    """Technicians signing in through `provider` with upstream `group` (or Entra app role `app_role`) get `role`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str = Field(min_length=1, max_length=64, description="A provider id under [providers].")
    group: str | None = Field(
        default=None, min_length=1, max_length=256,
        description="An upstream group (the id_token's `groups` claim: Entra group object id, Okta group name).",
    )  # fmt: skip
    app_role: str | None = Field(
        default=None, min_length=1, max_length=256, description="An Entra app role (the id_token's `roles` claim)."
    )
    role: RoleName = Field(description="The admin role the match gives.")


def role_mapping_problems(mappings: object, providers: object, key: str) -> list[str]:
    """Cross-field problems of a list of role mappings given as plain data (validated or raw TOML/JSON): each must
    name a known provider and exactly one of group, app_role. `key` prefixes each line (`policy.role_mappings`).
    Entries of the wrong shape are skipped: per-field validation reports them."""
    if not isinstance(mappings, list | tuple):
        return []
    problems: list[str] = []
    for i, mapping in enumerate(mappings):
        if not isinstance(mapping, Mapping):
            continue
        provider = mapping.get("provider")
        if isinstance(provider, str) and isinstance(providers, Mapping) and provider not in providers:
            problems.append(f"{key}[{i}].provider: unknown provider (got {provider!r})")
        given = [name for name in ("group", "app_role") if mapping.get(name) is not None]
        if len(given) != 1:
            got = "both" if given else "neither"
            problems.append(f"{key}[{i}]: must set exactly one of group, app_role (got {got})")
    return problems
