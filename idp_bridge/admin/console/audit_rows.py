"""Audit events as table rows for the console (the audit page, a technician's recent events): who, by whom, what."""

from __future__ import annotations

import json
from collections.abc import Sequence

from idp_bridge.bridge import Bridge
from idp_bridge.store.records.core import AuditEvent, User

_USER_ACTOR = "user:"


def _label(user: User | None, user_id: str) -> str:
    return (user.email or user.name or user_id) if user else user_id


def _detail_text(detail: dict[str, object]) -> str:
    """`key=value` pairs (values as JSON), the actor left out: it has its own column."""
    return " ".join(f"{key}={json.dumps(value, sort_keys=True)}" for key, value in sorted(detail.items())
                    if key != "actor")  # fmt: skip


async def audit_rows(bridge: Bridge, events: Sequence[AuditEvent]) -> list[dict[str, object]]:
    actors = {e.id: str(e.detail.get("actor") or "") for e in events}
    ids = {e.user_id for e in events if e.user_id}
    ids |= {a[len(_USER_ACTOR) :] for a in actors.values() if a.startswith(_USER_ACTOR)}
    users = {uid: await bridge.store.get_user(uid) for uid in ids if len(uid) <= 64}
    rows: list[dict[str, object]] = []
    for e in events:
        actor = actors[e.id]
        actor_id = actor[len(_USER_ACTOR) :] if actor.startswith(_USER_ACTOR) else None
        rows.append({
            "id": e.id, "at": e.at, "type": e.type, "outcome": e.outcome, "user_id": e.user_id,
            "user": _label(users.get(e.user_id), e.user_id) if e.user_id else None, "actor": actor or None,
            "actor_id": actor_id, "actor_label": _label(users.get(actor_id), actor_id) if actor_id else actor,
            "provider_id": e.provider_id, "client_id": e.client_id, "session_id": e.session_id, "ip": e.ip,
            "detail": _detail_text(e.detail),
        })  # fmt: skip
    return rows
