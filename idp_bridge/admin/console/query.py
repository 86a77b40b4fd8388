"""Reading the console's query parameters (search, paging, filters): limits, and a 400 page naming the field."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request

from idp_bridge.admin.console.handler import Refusal

TIME_EXAMPLE = "2026-11-22T10:00"


def _bad(name: str, rule: str, raw: str, back: str) -> Refusal:
    return Refusal(400, "bad_filter", "Invalid filter", f"{name}: {rule} (got {raw[:40]!r})", back=back)


def query_text(request: Request, name: str, max_length: int, back: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    if len(value) > max_length:
        message = f"{name}: at most {max_length} characters (got {len(value)})"
        raise Refusal(400, "bad_filter", "Invalid filter", message, back=back)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise _bad(name, "must not contain control characters", value, back)
    return value or None


def query_int(request: Request, name: str, default: int, low: int, high: int, back: str) -> int:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not low <= int(raw) <= high:
        raise _bad(name, f"a whole number from {low} to {high}", raw, back)
    return int(raw)


def query_time(request: Request, name: str, back: str) -> float | None:
    """A date and time in UTC, as a browser's date-time input sends it (`2026-11-22T10:00`); an explicit offset
    (`+02:00`, `Z`) is honoured."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw) if len(raw) <= 40 else None
    except ValueError:
        value = None
    if value is None:
        raise _bad(name, f"a date and time in UTC such as {TIME_EXAMPLE}", raw, back)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def time_input(timestamp: float | None) -> str:
    """A POSIX time as a date-time input's value, in UTC."""
    if timestamp is None:
        return ""
    value = datetime.fromtimestamp(timestamp, UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S" if value.second else "%Y-%m-%dT%H:%M")
