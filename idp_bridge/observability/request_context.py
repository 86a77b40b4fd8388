"""The HTTP request being served, as a context variable: its id, real client address, user agent and user."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

SYSTEM = "system"
"""The client address of events no request caused (the sweep, startup, CLI commands)."""


@dataclass(slots=True)
class RequestContext:
    request_id: str
    client_ip: str | None
    user_agent: str | None
    user_id: str | None = None
    reason: str | None = None  # why a refused request was refused, for its access-log line


_current: ContextVar[RequestContext | None] = ContextVar("idp_bridge_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def note_user(user_id: str | None) -> None:
    """The request acts for this user (the first one named wins: a login names its user before any other)."""
    context = _current.get()
    if context is not None and context.user_id is None and user_id:
        context.user_id = user_id


def note_refusal(reason: str) -> None:
    """The last refusal reason recorded during the request is the one its access-log line gives."""
    context = _current.get()
    if context is not None:
        context.reason = reason


def enter(context: RequestContext) -> object:
    return _current.set(context)


def leave(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
