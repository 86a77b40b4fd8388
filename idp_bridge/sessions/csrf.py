"""CSRF tokens bound to the browser's session token: one HMAC per purpose, so a form token is useless elsewhere.

The session token is rotated at login and at step-up, so forms rendered before either carry a token that no
longer matches: the browser reloads the page and gets a fresh one.
"""

from __future__ import annotations

import hashlib
import hmac

from idp_bridge.store.records.core import secret_hash


def session_csrf_token(secret_key: str, cookie_token: str, purpose: str) -> str:
    key = hmac.new(secret_key.encode(), b"idp-bridge.csrf.v1", hashlib.sha256).digest()
    message = purpose.encode() + b":" + secret_hash(cookie_token).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def csrf_token_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison; a missing or non-ASCII value never matches."""
    return given is not None and given.isascii() and hmac.compare_digest(expected.encode(), given.encode())
