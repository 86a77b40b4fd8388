"""Query strings fit for a log line: the values of codes, state, hints, tokens and anything secret replaced."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote

REDACTED = "[redacted]"
MAX_QUERY_CHARS = 512

_SENSITIVE = frozenset({"code", "state", "id_token_hint", "login_hint", "token", "nonce", "assertion"})
_SENSITIVE_PARTS = ("secret", "token", "password", "code", "verifier", "otp", "assertion", "key", "session")
"""A parameter whose name contains one of these is redacted too: client_secret, refresh_token, code_verifier,
user_code, api_key... A name the bridge does not know is judged by its name alone, so new secrets are covered."""


def is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SENSITIVE or any(part in lowered for part in _SENSITIVE_PARTS)


def redacted_query(raw: bytes | str) -> str:
    """The query with every sensitive value replaced (names kept: which parameters came is what debugging needs)."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    if not text:
        return ""
    parts = []
    for name, value in parse_qsl(text, keep_blank_values=True):
        shown = REDACTED if is_sensitive(name) else quote(value, safe="/:@,")
        parts.append(f"{quote(name, safe='')}={shown}")
    query = "&".join(parts)
    return query if len(query) <= MAX_QUERY_CHARS else query[:MAX_QUERY_CHARS] + "..."
