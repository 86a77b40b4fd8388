"""Admin API: technicians (list, search, show, update, reset MFA, recovery codes) and live sessions (list, end)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin import technicians
from idp_bridge.admin.api.common import (
    APIError,
    api,
    body,
    bridge_of,
    caller,
    json_response,
    query_int,
    query_text,
)
from idp_bridge.admin.api.models import TechnicianUpdate
from idp_bridge.admin.session_control import end_one_session
from idp_bridge.mfa.services import mfa_services
from idp_bridge.store.records.core import Session, User
from policies.admin_authorization import Action, combine_roles


async def _user(request: Request) -> User:
    user_id = request.path_params["user_id"]
    user = await bridge_of(request).store.get_user(user_id) if len(user_id) <= 64 else None
    if user is None:
        raise APIError(404, "not_found", f"There is no technician {user_id[:64]!r}.")
    return user


@api
async def list_technicians(request: Request) -> Response:
    await caller(request, Action.TECHNICIANS_READ)
    bridge = bridge_of(request)
    limit, offset = query_int(request, "limit", 50, 1, 500), query_int(request, "offset", 0, 0, 10**9)
    users = await bridge.store.search_users(query_text(request, "q"), limit, offset)
    return json_response({"technicians": [await technicians.describe(bridge, u) for u in users]})


@api
async def get_technician(request: Request) -> Response:
    await caller(request, Action.TECHNICIANS_READ)
    return json_response(await technicians.describe(bridge_of(request), await _user(request)))


@api
async def update_technician(request: Request) -> Response:
    await caller(request, Action.TECHNICIANS_WRITE)
    user = await _user(request)
    bridge = bridge_of(request)
    change = await body(request, TechnicianUpdate)
    target = combine_roles(await technicians.effective_role(bridge, user.id), change.role)
    who = await caller(request, Action.TECHNICIANS_WRITE, target_role=target)
    await technicians.update(bridge, user, change, who.actor)
    return json_response(await technicians.describe(bridge, user if change.disabled is None else
                                                    await _user(request)))  # fmt: skip


@api
async def reset_mfa(request: Request) -> Response:
    await caller(request, Action.TECHNICIANS_WRITE)
    user = await _user(request)
    bridge = bridge_of(request)
    who = await caller(request, Action.TECHNICIANS_WRITE, target_role=await technicians.effective_role(bridge, user.id))
    await technicians.reset_mfa(bridge, user, who.actor)
    return json_response(await technicians.describe(bridge, user))


@api
async def recovery_codes(request: Request) -> Response:
    await caller(request, Action.TECHNICIANS_WRITE)
    user = await _user(request)
    bridge = bridge_of(request)
    who = await caller(request, Action.TECHNICIANS_WRITE, target_role=await technicians.effective_role(bridge, user.id))
    codes = await technicians.regenerate_recovery_codes(bridge, mfa_services(request), user, who.actor)
    return json_response({"user_id": user.id, "recovery_codes": codes})


def session_json(s: Session, user: User | None) -> dict[str, object]:
    return {
        "id": s.id, "user_id": s.user_id, "email": user.email if user else None, "provider_id": s.provider_id,
        "user_agent": s.user_agent, "ip": s.ip, "started_at": s.created_at, "last_active_at": s.last_seen_at,
        "expires_at": s.expires_at, "amr": list(s.amr), "acr": s.acr, "auth_time": s.auth_time,
    }  # fmt: skip


@api
async def list_sessions(request: Request) -> Response:
    await caller(request, Action.SESSIONS_READ)
    bridge = bridge_of(request)
    found = await bridge.store.list_live_sessions(
        bridge.clock.now(), user_id=query_text(request, "user_id", 64),
        provider_id=query_text(request, "provider_id", 64),
        limit=query_int(request, "limit", 200, 1, 1000),
    )  # fmt: skip
    users = {uid: await bridge.store.get_user(uid) for uid in {s.user_id for s in found}}
    return json_response({"sessions": [session_json(s, users[s.user_id]) for s in found]})


@api
async def end_session(request: Request) -> Response:
    await caller(request, Action.SESSIONS_END)
    bridge = bridge_of(request)
    session_id = request.path_params["session_id"]
    session = await bridge.store.get_session(session_id, bridge.clock.now()) if len(session_id) <= 64 else None
    if session is None:
        raise APIError(404, "not_found", "There is no live session with this id.")
    who = await caller(
        request, Action.SESSIONS_END, target_role=await technicians.effective_role(bridge, session.user_id)
    )
    ended = await end_one_session(bridge, session, who.actor)
    return json_response({"ended": ended, "session_id": session.id})
