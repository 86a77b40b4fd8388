"""Reading console pages in tests: the notice after a change, a refusal's problems, which rows a table shows."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx2

from idp_bridge.admin import technicians
from tests.admin.console.console_harness import Console, ConsoleUser
from tests.bridge_harness import error_page_text

_NOTICE = re.compile(r'<p class="notice" role="status" id="notice">(.*?)</p>', re.S)
_PROBLEM = re.compile(r"<li>(.*?)</li>", re.S)


def followed_notice(user: ConsoleUser, response: httpx2.Response) -> tuple[str, str]:
    """After a POST/redirect: (where it went, the notice the page there shows)."""
    assert response.status_code == 303, (response.status_code, response.text[:800])
    location = response.headers["location"]
    page = user.get(location)
    found = _NOTICE.search(page.text)
    assert page.status_code == 200 and found, (location, page.status_code, page.text[:800])
    return location, html.unescape(found.group(1))


def refusal(response: httpx2.Response, status: int) -> tuple[str, str]:
    """(title, message) of a console refusal page with this status."""
    assert response.status_code == status, (response.status_code, response.text[:800])
    return error_page_text(response)


def problems(response: httpx2.Response) -> list[str]:
    block = re.search(r'<ul id="problems">(.*?)</ul>', response.text, re.S)
    assert block, response.text[:1500]
    return [html.unescape(p) for p in _PROBLEM.findall(block.group(1))]


def row_ids(response: httpx2.Response, table: str, attribute: str) -> list[str]:
    """The `attribute` of each row of the table with id `table` (empty when the page has no such table)."""
    block = re.search(rf'<table id="{table}">(.*?)</table>', response.text, re.S)
    return re.findall(rf'<tr [^>]*\b{attribute}="([^"]+)"', block.group(1)) if block else []


def described(c: Console, user_id: str) -> dict[str, Any]:
    """What admin.technicians.describe says about the technician now (straight from the store)."""
    user = c.bridge.call(c.bridge.store.get_user, user_id)
    return dict(c.bridge.call(technicians.describe, c.bridge.client.app.state.bridge, user))  # type: ignore[attr-defined]
