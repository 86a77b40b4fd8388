"""Shared by the loader tests: a valid base config, edits to it by dotted path, and writing it as TOML."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from idp_bridge.config.loader import check_config

SERVER_SECRET = "server-secret-0123456789-abcdefghijkl"
CORP_SECRET = "corp-client-secret-value"
WIKI_SECRET = "wiki-client-secret-value"

BASE: dict[str, Any] = {
    "server": {"issuer": "https://sso.example.com", "secret_key": SERVER_SECRET},
    "policy": {"allowed_providers": ["corp"]},
    "providers": {
        "corp": {
            "kind": "oidc",
            "display_name": "Corporate SSO",
            "issuer": "https://login.corp.example.com",
            "client_id": "idp-bridge",
            "client_secret": CORP_SECRET,
        }
    },
    "portals": {
        "wiki": {
            "display_name": "Team wiki",
            "client_secret": WIKI_SECRET,
            "redirect_uris": ["https://wiki.example.com/oauth2/callback"],
        }
    },
}
EXTRA_PROVIDER = {**BASE["providers"]["corp"], "issuer": "https://extra.example.com"}

DELETE = object()


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def to_toml(data: Mapping[str, Any]) -> str:
    """Top-level scalars, then [section] for tables and [section.name] for tables of tables."""
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, table in data.items():
        if not isinstance(table, dict):
            continue
        nested = {k: v for k, v in table.items() if isinstance(v, dict) and section in ("providers", "portals")}
        lines.append(f"\n[{toml_key(section)}]")
        lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items() if k not in nested]
        for name, entry in nested.items():
            lines.append(f"\n[{toml_key(section)}.{toml_key(name)}]")
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def edited(edits: Mapping[str, object]) -> dict[str, Any]:
    """BASE with `edits` applied: {"server.port": 70000, "server.host": DELETE}."""
    data = copy.deepcopy(BASE)
    for path, value in edits.items():
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is DELETE:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
    return data


def write(tmp_path: Path, data: Mapping[str, Any] | str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else to_toml(data), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, edits: Mapping[str, object], environ: Mapping[str, str] | None = None) -> list[str]:
    return check_config(write(tmp_path, edited(edits)), environ=environ or {})
