"""Rendering the bridge's own HTML pages (Jinja2, autoescaped) and its error page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)


def _when(timestamp: float | None) -> str:
    """A POSIX time as UTC text for pages ("2026-11-22 10:31:05 UTC"); "never" for None."""
    if timestamp is None:
        return "never"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


_env.filters["when"] = _when

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def error_page(status: int, title: str, message: str, *, retry_url: str | None = None) -> HTMLResponse:
    return render("error.html", status=status, title=title, message=message, retry_url=retry_url)


def unavailable_page(provider_name: str, retry_url: str | None) -> HTMLResponse:
    """An upstream that cannot be reached, in plain words: its URLs and the exception stay in the log and audit."""
    message = f"{provider_name} cannot be reached right now. Please try again in a moment."
    if retry_url is None:
        message += " Go back to the application and sign in again."
    return error_page(502, "Sign-in provider unavailable", message, retry_url=retry_url)
