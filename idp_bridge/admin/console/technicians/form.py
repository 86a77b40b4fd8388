"""The technician settings form as an admin.api.models.TechnicianUpdate: validated by the API's own model, every
problem listed (a 422 page, nothing changed), and only what differs from the current settings kept.

Only changed fields are kept because saving an MFA field signs the technician out everywhere: re-saving the form
as it was shown must not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from idp_bridge.admin.api.models import TechnicianUpdate
from idp_bridge.admin.console.handler import Refusal

LABELS = {
    "role": "Role", "mfa_method": "MFA method", "enforced": "MFA enforced", "disabled": "Account",
    "idle_timeout_seconds": "Idle timeout (seconds)", "session_limit": "Concurrent-session limit",
}  # fmt: skip
"""Form field -> what the page calls it (the field names are the API's)."""

_CHOICES = ("role", "mfa_method", "enforced", "disabled")  # a select; empty or absent: unchanged
_NUMBERS = {"idle_timeout_seconds": "clear_idle_timeout", "session_limit": "clear_session_limit"}  # empty: clear


def update_from_form(params: Mapping[str, str], current: Mapping[str, Any], back: str) -> TechnicianUpdate:
    """The change the form asks for, relative to `current` (technicians.describe); raises a 422 Refusal."""
    raw: dict[str, object] = {}
    for name in _CHOICES:
        value = params.get(name, "").strip()
        if value:
            raw[name] = value
    for name, clear in _NUMBERS.items():
        if name in params:
            value = params[name].strip()
            raw.update({name: value} if value else {clear: True})
    try:
        wanted = TechnicianUpdate.model_validate(raw)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors(include_url=False)]
        raise Refusal(
            422, "invalid_form", "Invalid settings", "Nothing was changed. Correct the following and save again.",
            back=back, problems=problems,
        ) from None  # fmt: skip
    return _changes(wanted, current)


def _problem(error: ErrorDetails) -> str:
    name = str(error["loc"][0]) if error["loc"] else "form"
    shown = repr(error["input"])[:40]
    return f"{LABELS.get(name, name)} ({name}): {error['msg']} (got {shown})"


def _changes(wanted: TechnicianUpdate, current: Mapping[str, Any]) -> TechnicianUpdate:
    now = {
        "role": current["role"], "mfa_method": current["mfa"]["method"], "enforced": current["mfa"]["enforced"],
        "disabled": current["disabled"], "idle_timeout_seconds": current["idle_timeout_seconds"],
        "session_limit": current["session_limit"],
    }  # fmt: skip
    changes: dict[str, object] = {
        name: value for name, value in wanted.model_dump(exclude_none=True).items()
        if name in now and value != now[name]
    }  # fmt: skip
    for name, clear in _NUMBERS.items():
        if getattr(wanted, clear) and now[name] is not None:
            changes[clear] = True
    return TechnicianUpdate.model_validate(changes)


def is_empty(change: TechnicianUpdate) -> bool:
    return not change.model_dump(exclude_defaults=True)
