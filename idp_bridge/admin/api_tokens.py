"""Admin API tokens: scoped, expiring bearer secrets `ibt_<id>_<secret>`, stored as a SHA-256 hash only.

The id part finds the record; the hash of the whole presented token is compared in constant time; an expired or
revoked token, or one whose scopes are unknown, never authenticates. Tokens are never logged.
"""

from __future__ import annotations

import hmac
import secrets

from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.admin import APIToken
from idp_bridge.store.records.core import secret_hash
from policies.admin_authorization import valid_scopes

PREFIX = "ibt_"
MAX_LIFETIME_SECONDS = 366 * 86400
_DUMMY_HASH = secret_hash("ibt_unknown_token")


class TokenRequestInvalid(ValueError):
    """Bad token parameters (unknown scope, lifetime out of range); the message names the value."""


async def create_token(
    store: Store, *, name: str, scopes: frozenset[str], lifetime_seconds: int, created_by: str, now: float
) -> tuple[str, APIToken]:
    """A new token: returns the bearer secret (shown once) and the stored record."""
    unknown = valid_scopes(scopes)
    if unknown:
        raise TokenRequestInvalid(f"scopes: unknown scope (got {', '.join(unknown)!r})")
    if not scopes:
        raise TokenRequestInvalid("scopes: name at least one scope (got [])")
    if not 60 <= lifetime_seconds <= MAX_LIFETIME_SECONDS:
        raise TokenRequestInvalid(
            f"expires: must be between 60 seconds and 366 days (got {lifetime_seconds} seconds)"
        )
    if not name.strip() or len(name) > 100:
        raise TokenRequestInvalid(f"name: must be 1 to 100 characters (got {len(name)})")
    token_id = secrets.token_hex(8)
    bearer = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    record = APIToken(
        id=token_id, token_hash=secret_hash(bearer), name=name.strip(), scopes=tuple(sorted(scopes)),
        created_by=created_by, created_at=now, expires_at=now + lifetime_seconds,
    )  # fmt: skip
    await store.put_api_token(record)
    return bearer, record


async def authenticate(store: Store, bearer: str, now: float) -> APIToken | None:
    """The live token this bearer secret belongs to, or None."""
    token_id = bearer[len(PREFIX) :].split("_", 1)[0] if bearer.startswith(PREFIX) else ""
    record = await store.get_api_token(token_id) if 0 < len(token_id) <= 32 else None
    presented = secret_hash(bearer)
    ok = hmac.compare_digest(presented, record.token_hash if record is not None else _DUMMY_HASH)
    if record is None or not ok or record.revoked_at is not None or now >= record.expires_at:
        return None
    await store.touch_api_token(record.id, now)
    return record


def parse_lifetime(text: str) -> int:
    """'90d', '12h', '30m' or seconds as an integer; raises TokenRequestInvalid."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    raw = text.strip().lower()
    unit = units.get(raw[-1:])
    number = raw[:-1] if unit is not None else raw
    if not number.isdigit():
        raise TokenRequestInvalid(f"expires: use a number of days, hours or minutes like 90d, 12h, 30m (got {text!r})")
    return int(number) * (unit or 1)
