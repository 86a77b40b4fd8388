"""JSON from outside (upstream answers, JWT segments, admin bodies and text areas) read within size and depth bounds."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
"""Nesting levels any document the bridge reads may have; real policies, JWTs and OIDC documents use under ten."""

_STRUCTURE = re.compile(r'[\[\]{}"\\]')


class JSONLimitError(ValueError):
    """The document is over a bound; refused before the parser (whose recursion would overflow) ever sees it.

    A ValueError, so every caller that already refuses malformed JSON refuses this too."""

    def __init__(self, what: str, reason: str, *, too_large: bool) -> None:
        super().__init__(f"{what} is {reason}")
        self.message = f"{what} is {reason}"
        self.reason = reason  # without the subject, for messages that name it their own way ("rules: ...")
        self.too_large = too_large


def too_deep(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether `text` opens more than `max_depth` arrays/objects at once, strings skipped (one linear pass).

    Agrees with the parser on every prefix it accepts, so no malformed input can look shallow here and deep there.
    """
    depth, in_string, escaped_at = 0, False, -1
    for match in _STRUCTURE.finditer(text):
        char, at = match.group(), match.start()
        if at == escaped_at:
            continue
        if in_string:
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads(data: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH, what: str = "the document") -> Any:
    """`json.loads` once `data` is at most `max_bytes` long and `max_depth` deep; else `JSONLimitError`.

    Malformed JSON (or bytes that are not UTF-8) raises ValueError as `json.loads` does.
    """
    size = len(data.encode() if isinstance(data, str) else data)
    if size > max_bytes:
        raise JSONLimitError(what, f"larger than {max_bytes} bytes (got {size})", too_large=True)
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if too_deep(text, max_depth):
        raise JSONLimitError(what, f"nested more than {max_depth} levels deep", too_large=False)
    return json.loads(text)
