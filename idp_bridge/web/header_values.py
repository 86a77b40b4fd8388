"""Identity headers for forward-auth: values made safe to put in an HTTP header (no CR/LF or other controls)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

MAX_VALUE = 1024
MAX_GROUPS_VALUE = 4096
# Printable ASCII other than '%' passes as is; everything else (controls, CR/LF, non-ASCII) is percent-encoded
# as UTF-8, so a claim can neither split the header nor smuggle bytes a proxy reads differently.
_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in "%")


def header_value(value: str, limit: int = MAX_VALUE) -> str:
    """The header-safe form of `value`, at most `limit` characters (cut at a whole escape)."""
    encoded = quote(value, safe=_SAFE)
    if len(encoded) <= limit:
        return encoded
    cut = encoded[:limit]
    escape = cut.rfind("%", max(0, limit - 3))
    return cut[:escape] if escape != -1 else cut


def list_value(values: Iterable[str], limit: int = MAX_GROUPS_VALUE) -> str:
    """A comma-separated list; commas inside an item are escaped (%2C) so items cannot be forged."""
    items = [header_value(v, limit).replace(",", "%2C") for v in values]
    out = ""
    for item in items:
        candidate = f"{out},{item}" if out else item
        if len(candidate) > limit:
            break
        out = candidate
    return out


# Every header a 200 carries, each one on every 200 (empty when unknown): a proxy that copies a header the answer
# lacks may pass something else on (Caddy 2.6 copies its own unexpanded placeholder), and a proxy snippet can
# replace each client-sent one only if it knows them all.
IDENTITY_HEADER_NAMES = ("X-Auth-User", "X-Auth-Email", "X-Auth-Name", "X-Auth-Groups", "X-Auth-Amr", "X-Auth-Acr")


def identity_headers(
    user_id: str, email: str | None, name: str | None, groups: Iterable[str], amr: Iterable[str], acr: str | None
) -> tuple[tuple[str, str], ...]:
    """The headers a protected application receives for a signed-in technician, in IDENTITY_HEADER_NAMES order."""
    values = (header_value(user_id), header_value(email or ""), header_value(name or ""), list_value(groups),
              list_value(amr), header_value(acr or ""))  # fmt: skip
    return tuple(zip(IDENTITY_HEADER_NAMES, values, strict=True))
