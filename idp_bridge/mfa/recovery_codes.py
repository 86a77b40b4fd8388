"""Recovery codes: 10 single-use codes of 8 characters from an unambiguous alphabet, stored as keyed hashes.

Why HMAC-SHA256 with a server-side key rather than a slow KDF: a code carries about 40 bits, a slow hash would
cost tens of milliseconds per code on the event loop, and the keyed hash already makes a stolen database alone
useless for an offline search (the key is not in it). Online guessing is what the failure counter limits. The
hash is deterministic (user id + code), so consuming a code is one atomic UPDATE.
"""

from __future__ import annotations

import secrets

from idp_bridge.mfa.secret_box import SecretBox

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
COUNT = 10
LENGTH = 8


def generate() -> list[str]:
    """Fresh codes, shown as XXXX-XXXX."""
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def normalize(raw: str) -> str | None:
    """The 8 characters of a typed code (case, spaces and dashes ignored), or None if it cannot be one."""
    code = raw.replace("-", "").replace(" ", "").upper()
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def code_hash(box: SecretBox, user_id: str, code: str) -> str:
    """The store key of a normalized code."""
    return box.keyed_hash("recovery-code", user_id, code)


def as_text(codes: list[str], account: str, issuer: str) -> str:
    """The downloadable text file."""
    lines = [
        f"{issuer} recovery codes for {account}",
        "Each code works once, instead of a code from your authenticator app. Keep them somewhere safe.",
        "",
        *codes,
        "",
    ]
    return "\n".join(lines)
