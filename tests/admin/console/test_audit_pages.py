"""The console's audit log: filters by user, type and time (UTC date-time inputs), the JSON-lines export (oldest
first, the same filters, the same bytes as the API's export), bad filters as 400 pages, and no way to alter it."""

from __future__ import annotations

import html
import json
import re

from idp_bridge.admin.console.query import time_input
from tests.admin.console.console_harness import Console
from tests.admin.console.console_pages import refusal, row_ids
from tests.store_peek import audit_count, audit_types, last_audit


def _events(c: Console, **query: object) -> list[str]:
    """Ids of the matching events, newest first, straight from the store."""
    return [e.id for e in c.bridge.call(c.bridge.store.list_audit, **query)]


def test_filters_by_user_type_and_time(admin_console: Console) -> None:
    c = admin_console
    bob = c.sign_in("bob", "auditor")
    before_alice = c.clock.now()
    assert "code" in c.bridge.login("alice").params
    c.clock.advance(1200)  # (within the console session's idle timeout)
    assert "code" in c.bridge.login("carol").params
    alice = c.bridge.user_id("alice@example.com")

    everything = bob.get("/admin/audit")
    assert everything.status_code == 200
    assert row_ids(everything, "audit-events", "data-event-id") == _events(c, limit=100)

    mine = bob.get("/admin/audit", user_id=alice)
    assert row_ids(mine, "audit-events", "data-event-id") == _events(c, user_id=alice) != []
    assert f'value="{alice}"' in mine.text  # the filter stays in its input

    logins = bob.get("/admin/audit", type="login.success")
    assert set(row_ids(logins, "audit-events", "data-type")) == {"login.success"}
    assert len(row_ids(logins, "audit-events", "data-event-id")) == 3  # bob's console sign-in, alice, carol

    middle = time_input(before_alice + 600)
    later = bob.get("/admin/audit", type="login.success", since=middle)
    assert row_ids(later, "audit-events", "data-event-id") == _events(c, type="login.success",
                                                                      since=before_alice + 600)  # fmt: skip
    assert len(row_ids(later, "audit-events", "data-event-id")) == 1 and "carol@contractor.example" in later.text
    earlier = bob.get("/admin/audit", type="login.success", until=middle)
    assert len(row_ids(earlier, "audit-events", "data-event-id")) == 2 and "carol@contractor" not in earlier.text
    assert 'id="no-events"' in bob.get("/admin/audit", type="no.such.type").text

    limited = bob.get("/admin/audit", limit="2")
    assert len(row_ids(limited, "audit-events", "data-event-id")) == 2 and 'id="more-events"' in limited.text


def test_export_is_json_lines_oldest_first_with_the_same_filters(admin_console: Console) -> None:
    c = admin_console
    bob = c.sign_in("bob", "auditor")
    assert "code" in c.bridge.login("alice").params
    c.clock.advance(60)
    assert "code" in c.bridge.login("alice").params
    alice = c.bridge.user_id("alice@example.com")

    page = bob.get("/admin/audit", user_id=alice, type="login.success")
    link = re.search(r'id="export" href="([^"]+)"', page.text)
    assert link is not None
    export = bob.get(html.unescape(link.group(1)))
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")
    assert export.headers["content-disposition"].startswith("attachment;")
    assert export.headers["cache-control"] == "no-store"
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [e["id"] for e in lines] == list(reversed(_events(c, user_id=alice, type="login.success")))
    assert len(lines) == 2 and lines[0]["at"] < lines[1]["at"]
    assert all(e["user_id"] == alice and e["type"] == "login.success" for e in lines)

    # The same formatting as the JSON API's export (one shared function).
    token = c.bridge.token("audit:read")
    api = c.bridge.api("GET", "/audit/export", token, user_id=alice, type="login.success", limit=100_000)
    assert api.text == export.text

    since = bob.get("/admin/audit/export", since=time_input(lines[1]["at"]))
    assert [json.loads(line)["id"] for line in since.text.splitlines()] == list(
        reversed(_events(c, since=float(int(lines[1]["at"]))))
    )


def test_bad_filters_are_refused_with_the_field_named(admin_console: Console) -> None:
    c = admin_console
    bob = c.sign_in("bob", "auditor")
    for path in ("/admin/audit", "/admin/audit/export"):
        for params, field in (
            ({"since": "yesterday"}, "since"), ({"until": "2026-13-40T10:00"}, "until"), ({"limit": "0"}, "limit"),
            ({"limit": "lots"}, "limit"), ({"user_id": "u" * 65}, "user_id"), ({"type": "t" * 101}, "type"),
            ({"since": "2026-11-22T10:00", "until": "2026-11-22T09:00"}, "until"),
        ):  # fmt: skip
            before = audit_count(c.bridge.db)
            title, message = refusal(bob.get(path, **params), 400)
            assert title == "Invalid filter" and message.startswith(f"{field}:"), (params, message)
            assert audit_count(c.bridge.db) == before + 1
            kind, outcome, detail = last_audit(c.bridge.db)
            assert (kind, outcome, detail["reason"]) == ("admin.rejected", "failure", "bad_filter")
    assert "2026-11-22T10:00" in refusal(bob.get("/admin/audit", since="soon"), 400)[1]  # says what it wants


def test_the_log_cannot_be_changed_from_the_console(admin_console: Console) -> None:
    c = admin_console
    bob = c.sign_in("bob", "super_admin")
    page = bob.get("/admin/audit")
    assert page.status_code == 200 and 'method="post"' not in page.text.lower()
    event = row_ids(page, "audit-events", "data-event-id")[0]
    token = bob.csrf("/admin/sessions")
    before = audit_types(c.bridge.db)
    for method, path in (("POST", "/admin/audit"), ("PUT", "/admin/audit"), ("DELETE", "/admin/audit"),
                         ("PATCH", "/admin/audit"), ("POST", "/admin/audit/export"),
                         ("DELETE", "/admin/audit/export")):  # fmt: skip
        response = bob.browser.request(method, path, data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 405, (method, path, response.status_code)
    for path in (f"/admin/audit/{event}", f"/admin/audit/{event}/delete"):
        assert bob.browser.post(path, data={"csrf_token": token}).status_code == 404
    assert audit_types(c.bridge.db) == before
