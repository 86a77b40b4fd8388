"""Upstream id_token claims as Identity fields: typed, capped, cleaned of invisible controls; amr per RFC 8176."""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from providers.base import Identity

MAX_NAME = 256
MAX_EMAIL = 254  # RFC 5321 §4.5.3.1.3: the longest usable address
MAX_VALUE = 256  # one group, role or acr value
MAX_VALUES = 256  # groups or roles per login (Entra sends an overage marker beyond 200 groups anyway)
# Control, format (bidi overrides like U+202E, zero-width), line/paragraph separators and lone surrogates:
# invisible or misleading in a portal, a log line or a terminal. ZWNJ and ZWJ stay: some scripts' names need them.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})

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


def _is_unsafe(char: str) -> bool:
    return unicodedata.category(char) in _UNSAFE_CATEGORIES and char not in _KEPT_FORMAT


def _has_unsafe(value: str) -> bool:
    return any(_is_unsafe(char) for char in value)


def display_text(value: str, limit: int) -> str:
    """Text only shown (a name): line breaks and tabs as spaces, other invisible controls removed, runs of
    spaces collapsed, cut to `limit` characters."""
    kept = "".join(" " if char.isspace() else char for char in value if char.isspace() or not _is_unsafe(char))
    return " ".join(kept.split())[:limit]


def _exact(value: str | None, limit: int) -> str | None:
    """A value matched or used as an address (email, acr): dropped, never altered, when unsafe or too long, so a
    mangled value can never become another valid one."""
    return None if value is None or len(value) > limit or _has_unsafe(value) else value


def _exact_values(values: tuple[str, ...]) -> tuple[str, ...]:
    """Groups or roles, which policies match: unsafe or over-long entries dropped (a rule can only match less)."""
    return tuple(v for v in values if v and len(v) <= MAX_VALUE and not _has_unsafe(v))[:MAX_VALUES]


def safe_identity(identity: Identity) -> Identity:
    """The identity with every upstream text claim capped and cleaned; `cut_claims` names the ones changed.

    Every provider passes its Identity through here, so portals' id_tokens, the users table, sessions and the
    audit log never see a 10 KB name, CR/LF, ANSI escapes or bidi overrides from an upstream.
    """
    name = None if identity.name is None else display_text(identity.name, MAX_NAME)
    email = _exact(identity.email, MAX_EMAIL)
    acr = _exact(identity.acr, MAX_VALUE)
    groups, roles = _exact_values(identity.groups), _exact_values(identity.roles)
    cleaned = {"name": name, "email": email, "acr": acr, "groups": groups, "roles": roles}
    cut = tuple(claim for claim, value in cleaned.items() if value != getattr(identity, claim))
    if not cut:
        return identity
    return dataclasses.replace(
        identity, name=name, email=email, email_verified=identity.email_verified and email is not None,
        acr=acr, groups=groups, roles=roles, cut_claims=identity.cut_claims + cut,
    )  # fmt: skip
