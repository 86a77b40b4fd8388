"""What every configuration section shares: a strict, frozen pydantic base, and the dotted TOML key messages name."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class Section(BaseModel):
    """A configuration table: an unknown key is an error, and nothing changes once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def key_path(*parts: str | int) -> str:
    """A dotted TOML key for messages: `portals."wiki.example".display_name`, list indexes as `[0]`."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        name = part if _BARE_KEY.fullmatch(part) else json.dumps(part)
        path += f".{name}" if path else name
    return path
