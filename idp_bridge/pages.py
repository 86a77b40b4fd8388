"""Rendering the bridge's own HTML pages (Jinja2, autoescaped) and its error page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    auto_reload=False,
)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def error_page(status: int, title: str, message: str) -> HTMLResponse:
    return render("error.html", status=status, title=title, message=message)
