"""Reading upstream id_token claims into Identity fields: typed lists, times, and amr normalised to RFC 8176."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# RFC 8176 §2 (IANA "Authentication Method Reference Values"): what the bridge may pass on unchanged.
RFC8176_AMR = frozenset(
    {"face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd", "rba", "retina", "sc"}
    | {"sms", "swk", "tel", "user", "vbm", "wia"}
)


def strings(value: object) -> tuple[str, ...]:
    """A JSON list of strings as a tuple; anything else (missing, wrong type, mixed) as ()."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return ()


def text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) else None


def whole_seconds(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def normalise_amr(values: tuple[str, ...], synonyms: Mapping[str, str]) -> tuple[str, ...]:
    """Provider amr values mapped to RFC 8176 through `synonyms`; registered values kept; anything else dropped.

    Order is kept and duplicates removed, so ["okta_verify", "otp", "google_otp"] becomes ["otp"].
    """
    out: dict[str, None] = {}
    for value in values:
        mapped = synonyms.get(value, value)
        if mapped in RFC8176_AMR:
            out[mapped] = None
    return tuple(out)
