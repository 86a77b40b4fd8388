"""GET /admin/audit (the audit log, filtered by user, type and time) and GET /admin/audit/export (the same
filters as JSON lines, oldest first, through audit.reader like the API's export).

Read-only: the console has no route that changes or deletes an event.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin.console.audit_rows import audit_rows
from idp_bridge.admin.console.handler import BASE, Refusal, admin_render, bridge_of, page, require
from idp_bridge.admin.console.query import TIME_EXAMPLE, query_int, query_text, query_time, time_input
from idp_bridge.admin.console.viewer import Viewer
from idp_bridge.audit.reader import AuditQuery, export_response, find_events
from policies.admin_authorization import Action

PAGE = f"{BASE}/audit"
SHOWN_DEFAULT, SHOWN_MAX = 100, 1000
EXPORT_MAX = 100_000


def _query(request: Request, default_limit: int, max_limit: int) -> AuditQuery:
    query = AuditQuery(
        user_id=query_text(request, "user_id", 64, PAGE), type=query_text(request, "type", 100, PAGE),
        since=query_time(request, "since", PAGE), until=query_time(request, "until", PAGE),
        limit=query_int(request, "limit", default_limit, 1, max_limit, PAGE),
    )  # fmt: skip
    if query.since is not None and query.until is not None and query.until <= query.since:
        raise Refusal(400, "bad_filter", "Invalid filter", "until: must be later than since", back=PAGE)
    return query


def _filters(query: AuditQuery) -> dict[str, str]:
    """The query's filters as URL parameters (the limit is not a filter: an export takes every match)."""
    shown = {"user_id": query.user_id or "", "type": query.type or "", "since": time_input(query.since),
             "until": time_input(query.until)}  # fmt: skip
    return {name: value for name, value in shown.items() if value}


@page
async def audit_page(request: Request, viewer: Viewer) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.AUDIT_READ, bridge.clock.now())
    query = _query(request, SHOWN_DEFAULT, SHOWN_MAX)
    events = await find_events(bridge.store, bridge.auditor, query)
    limit_given = bool(request.query_params.get("limit", "").strip())
    return admin_render(
        request, viewer, "audit.html", events=await audit_rows(bridge, events), filters=_filters(query),
        limit=query.limit if limit_given else "", shown_default=SHOWN_DEFAULT, shown_max=SHOWN_MAX,
        full=len(events) >= query.limit, export_query=urlencode(_filters(query)), time_example=TIME_EXAMPLE,
    )  # fmt: skip


@page
async def export_audit(request: Request, viewer: Viewer) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.AUDIT_READ, bridge.clock.now())
    return export_response(await find_events(bridge.store, bridge.auditor, _query(request, EXPORT_MAX, EXPORT_MAX)))
