"""Driving the console's policy editor in tests: its forms read and submitted, and what the store kept."""

from __future__ import annotations

import json
import sqlite3
from html.parser import HTMLParser

import httpx2

from tests.admin.console.console_harness import ConsoleUser

PREVIEW, SAVE, ROLLBACK = "/admin/policy/preview", "/admin/policy/save", "/admin/policy/rollback"


class _FormReader(HTMLParser):
    """The fields a browser would submit from one form of a page (checked boxes, hidden and text inputs, text
    areas with the browser's CRLF line breaks); disabled fieldsets submit nothing."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.disabled, self.found = form_id, False, 0, False
        self.fields: dict[str, str] = {}
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            self.found |= self.inside
        if not self.inside:
            return
        if tag == "fieldset" and "disabled" in a:
            self.disabled += 1
        if self.disabled:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind not in ("checkbox", "radio") or "checked" in a:
                self.fields[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea, self.fields[name] = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "fieldset" and self.inside and self.disabled:
            self.disabled -= 1
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.fields[self.textarea] += data.replace("\r\n", "\n").replace("\n", "\r\n")


def form_fields(page: httpx2.Response, form_id: str) -> dict[str, str]:
    reader = _FormReader(form_id)
    reader.feed(page.text)
    assert reader.found, (form_id, page.text[:500])
    return reader.fields


def editor(user: ConsoleUser) -> dict[str, str]:
    page = user.get("/admin/policy")
    assert page.status_code == 200, page.text[:300]
    return form_fields(page, "policy-editor")


def submit(user: ConsoleUser, path: str, fields: dict[str, str], **headers: str) -> httpx2.Response:
    """POST fields as the page gave them (the CSRF token included)."""
    return user.browser.post(path, data=fields, headers=headers or None, follow_redirects=False)


def confirmation(user: ConsoleUser, fields: dict[str, str], comment: str) -> dict[str, str]:
    """Preview the editor's `fields` with `comment`; the confirmation (save) form's fields."""
    return form_fields(submit(user, PREVIEW, fields | {"comment": comment}), "save-form")


def versions(db: str) -> list[tuple[int, str, str, int | None]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT version, author, comment, rollback_of FROM policy_versions ORDER BY version")
        return list(rows)


def rejections(db: str) -> list[tuple[str, str]]:
    """(reason, path) of every admin.rejected audit event."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT detail FROM audit_events WHERE type = 'admin.rejected' ORDER BY rowid")
        return [(d["reason"], d["path"]) for d in (json.loads(r[0]) for r in rows)]


def problems(page: httpx2.Response) -> str:
    start = page.text.find('id="problems"')
    assert start > 0, page.text[:1000]
    return page.text[start : page.text.find("</ul>", start)]
