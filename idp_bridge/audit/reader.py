"""Reading the audit log for administrators: one query shape and one JSON-lines export for the API and the console.

Read-only by design: nothing here (or anywhere in the admin API or console) changes or deletes an event.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.responses import Response

from idp_bridge.audit.recorder import Auditor
from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.core import AuditEvent

EXPORT_FILENAME = "idp-bridge-audit.jsonl"


@dataclass(frozen=True)
class AuditQuery:
    """Filters of an audit query: all optional; `since` inclusive, `until` exclusive (POSIX seconds)."""

    user_id: str | None = None
    type: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int = 100


async def find_events(store: Store, auditor: Auditor, query: AuditQuery) -> list[AuditEvent]:
    """Matching events, newest first; the asking request's own events (buffered by `auditor`) included."""
    await auditor.flush()
    return list(await store.list_audit(
        user_id=query.user_id, type=query.type, since=query.since, until=query.until, limit=query.limit
    ))  # fmt: skip


def event_json(event: AuditEvent) -> dict[str, object]:
    return dataclasses.asdict(event)


def json_lines(newest_first: Sequence[AuditEvent]) -> str:
    """One event per line, oldest first (the order they happened in), keys sorted."""
    return "".join(json.dumps(event_json(e), sort_keys=True) + "\n" for e in reversed(newest_first))


def export_response(newest_first: Sequence[AuditEvent]) -> Response:
    """The export as a download: application/x-ndjson, never cached."""
    return Response(json_lines(newest_first), media_type="application/x-ndjson", headers={
        "cache-control": "no-store", "content-disposition": f'attachment; filename="{EXPORT_FILENAME}"'
    })  # fmt: skip
