"""The proxy snippets of docs/forward-auth.md, extracted so that the integration tests run exactly what the docs
tell operators to run (docs and tests cannot drift), with the documented hosts swapped for loopback ports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "forward-auth.md"
# The names the docs use for the protected app, the bridge and the application behind the proxy.
APP_HOST = "app.example.com"
BRIDGE_URL = "https://sso.example.com"
BACKEND = "127.0.0.1:9000"


def snippet(language: str) -> str:
    """The one fenced code block of `language` (```nginx, ```caddyfile, ```yaml) in docs/forward-auth.md."""
    blocks = re.findall(rf"^```{re.escape(language)}\n(.*?)^```$", DOC.read_text(), re.M | re.S)
    if len(blocks) != 1:
        raise AssertionError(f"docs/forward-auth.md has {len(blocks)} ```{language} blocks, expected 1")
    text: str = blocks[0]
    return text


def localised(text: str, replacements: Mapping[str, str]) -> str:
    """`text` with each documented name replaced; a name the snippet no longer contains is an error (a test
    quietly running a different configuration from the docs is what this module exists to prevent)."""
    for old, new in replacements.items():
        if old not in text:
            raise AssertionError(f"the docs/forward-auth.md snippet no longer contains {old!r}")
        text = text.replace(old, new)
    return text
