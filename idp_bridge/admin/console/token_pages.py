"""GET /admin/tokens (API tokens: list and create form), POST /admin/tokens (create; the secret is shown once),
POST /admin/tokens/{id}/revoke. Super Admins only (tokens.manage), like the API's /admin/api/tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin.api_tokens import TokenRequestInvalid, create_token, parse_lifetime
from idp_bridge.admin.console.handler import BASE, Refusal, admin_render, bridge_of, form, page, redirect, require
from idp_bridge.admin.console.viewer import Viewer
from policies.admin_authorization import SCOPES, Action

PAGE = f"{BASE}/tokens"


async def _listing(request: Request) -> list[dict[str, object]]:
    bridge = bridge_of(request)
    now = bridge.clock.now()
    return [
        {"id": t.id, "name": t.name, "scopes": ", ".join(t.scopes), "created_by": t.created_by,
         "created_at": t.created_at, "expires_at": t.expires_at, "last_used_at": t.last_used_at,
         "state": "revoked" if t.revoked_at is not None else "expired" if now >= t.expires_at else "live"}
        for t in await bridge.store.list_api_tokens()
    ]  # fmt: skip


@page
async def tokens_page(request: Request, viewer: Viewer) -> Response:
    require(viewer, Action.TOKENS_MANAGE, bridge_of(request).clock.now(), back=BASE)
    return admin_render(request, viewer, "tokens.html", tokens=await _listing(request), scopes=sorted(SCOPES))


@form
async def new_token(request: Request, viewer: Viewer, params: dict[str, str]) -> Response:
    bridge = bridge_of(request)
    now = bridge.clock.now()
    require(viewer, Action.TOKENS_MANAGE, now, back=PAGE)
    scopes = frozenset(name for name in SCOPES if params.get(f"scope.{name}") == "on")
    try:
        bearer, record = await create_token(
            bridge.store, name=params.get("name", ""), scopes=scopes,
            lifetime_seconds=parse_lifetime(params.get("expires", "")), created_by=viewer.actor, now=now,
        )  # fmt: skip
    except TokenRequestInvalid as exc:
        raise Refusal(422, "invalid_request", "Token not created", str(exc), back=PAGE) from None
    await bridge.auditor.record(
        "admin.token.created", "success", request=request, actor=viewer.actor, token_id=record.id,
        scopes=list(record.scopes), expires_at=record.expires_at,
    )  # fmt: skip
    return admin_render(
        request, viewer, "token_created.html", token=bearer, record=record, tokens=await _listing(request)
    )


@form
async def revoke_token(request: Request, viewer: Viewer, params: dict[str, str]) -> Response:
    bridge = bridge_of(request)
    now = bridge.clock.now()
    require(viewer, Action.TOKENS_MANAGE, now, back=PAGE)
    token_id = request.path_params["token_id"][:64]
    if not await bridge.store.revoke_api_token(token_id, now):
        raise Refusal(404, "not_found", "Token not found", "There is no live API token with this id.", back=PAGE)
    await bridge.auditor.record(
        "admin.token.revoked", "success", request=request, actor=viewer.actor, token_id=token_id
    )
    return redirect(PAGE, "token_revoked")
