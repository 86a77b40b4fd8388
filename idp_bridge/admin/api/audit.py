"""Admin API: the audit log (query, JSON-lines export; read-only), API tokens, the emergency-access check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin.api.common import (
    APIError,
    api,
    body,
    bridge_of,
    caller,
    json_response,
    query_float,
    query_int,
    query_text,
)
from idp_bridge.admin.api.models import TokenCreate
from idp_bridge.admin.api_tokens import TokenRequestInvalid, create_token
from idp_bridge.admin.emergency import check_emergency_access
from idp_bridge.audit.reader import AuditQuery, event_json, export_response, find_events
from idp_bridge.store.records.admin import APIToken
from idp_bridge.store.records.core import AuditEvent
from policies.admin_authorization import Action


async def _events(request: Request, max_limit: int) -> list[AuditEvent]:
    bridge = bridge_of(request)
    return await find_events(bridge.store, bridge.auditor, AuditQuery(
        user_id=query_text(request, "user_id", 64), type=query_text(request, "type", 100),
        since=query_float(request, "since"), until=query_float(request, "until"),
        limit=query_int(request, "limit", 100, 1, max_limit),
    ))  # fmt: skip


@api
async def query_audit(request: Request) -> Response:
    await caller(request, Action.AUDIT_READ)
    return json_response({"events": [event_json(e) for e in await _events(request, 1000)]})


@api
async def export_audit(request: Request) -> Response:
    """JSON lines, oldest first, one event per line."""
    await caller(request, Action.AUDIT_READ)
    return export_response(await _events(request, 100_000))


def _token_json(t: APIToken) -> dict[str, object]:
    return {
        "id": t.id, "name": t.name, "scopes": list(t.scopes), "created_by": t.created_by, "created_at": t.created_at,
        "expires_at": t.expires_at, "revoked_at": t.revoked_at, "last_used_at": t.last_used_at,
    }  # fmt: skip


@api
async def list_tokens(request: Request) -> Response:
    await caller(request, Action.TOKENS_MANAGE)
    return json_response({"tokens": [_token_json(t) for t in await bridge_of(request).store.list_api_tokens()]})


@api
async def new_token(request: Request) -> Response:
    who = await caller(request, Action.TOKENS_MANAGE)
    data = await body(request, TokenCreate)
    bridge = bridge_of(request)
    try:
        bearer, record = await create_token(
            bridge.store, name=data.name, scopes=frozenset(data.scopes), lifetime_seconds=data.expires_in_seconds,
            created_by=who.actor, now=bridge.clock.now(),
        )  # fmt: skip
    except TokenRequestInvalid as exc:
        raise APIError(422, "invalid_request", str(exc)) from None
    await bridge.auditor.record("admin.token.created", "success", actor=who.actor, token_id=record.id,
                                scopes=list(record.scopes), expires_at=record.expires_at)  # fmt: skip
    return json_response(_token_json(record) | {"token": bearer}, status=201)


@api
async def revoke_token(request: Request) -> Response:
    who = await caller(request, Action.TOKENS_MANAGE)
    bridge = bridge_of(request)
    token_id = request.path_params["token_id"][:64]
    if not await bridge.store.revoke_api_token(token_id, bridge.clock.now()):
        raise APIError(404, "not_found", "There is no live API token with this id.")
    await bridge.auditor.record("admin.token.revoked", "success", actor=who.actor, token_id=token_id)
    return json_response({"revoked": token_id})


@api
async def emergency_access(request: Request) -> Response:
    await caller(request, Action.TECHNICIANS_READ)
    status = await check_emergency_access(bridge_of(request).store)
    return json_response({"ok": status.ok, "super_admins": status.super_admins, "enrolled": status.enrolled,
                          "warning": status.warning})  # fmt: skip
