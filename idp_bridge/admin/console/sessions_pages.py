"""GET /admin/sessions (live sessions, filtered by user or provider) and POST /admin/sessions/{id}/end."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin.console.device_label import device_label
from idp_bridge.admin.console.handler import (
    BASE,
    admin_render,
    bridge_of,
    form,
    local_path,
    page,
    redirect,
    require,
)
from idp_bridge.admin.console.query import query_text
from idp_bridge.admin.console.viewer import Viewer
from idp_bridge.admin.session_control import end_one_session
from idp_bridge.admin.technicians import effective_role
from idp_bridge.store.records.core import Session, User
from policies.admin_authorization import Action

PAGE = f"{BASE}/sessions"


def session_row(session: Session, user: User | None, now: float) -> dict[str, object]:
    return {
        "id": session.id, "user_id": session.user_id, "who": (user.email or user.name) if user else None,
        "provider_id": session.provider_id, "device": device_label(session.user_agent),
        "user_agent": session.user_agent or "", "ip": session.ip or "", "started_at": session.created_at,
        "last_active_at": session.last_seen_at, "amr": ", ".join(session.amr) or "none",
        "mfa": "mfa" in session.amr, "auth_time": session.auth_time,
        "idle_minutes": int((now - session.last_seen_at) // 60),
    }  # fmt: skip


async def rows(
    request: Request, *, user_id: str | None = None, provider_id: str | None = None
) -> list[dict[str, object]]:
    bridge = bridge_of(request)
    now = bridge.clock.now()
    found = await bridge.store.list_live_sessions(now, user_id=user_id, provider_id=provider_id, limit=500)
    users = {uid: await bridge.store.get_user(uid) for uid in {s.user_id for s in found}}
    return [session_row(s, users[s.user_id], now) for s in found]


@page
async def sessions_page(request: Request, viewer: Viewer) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.SESSIONS_READ, bridge.clock.now())
    user_id, provider_id = query_text(request, "user_id", 64, PAGE), query_text(request, "provider_id", 64, PAGE)
    return admin_render(
        request, viewer, "sessions.html", sessions=await rows(request, user_id=user_id, provider_id=provider_id),
        user_id=user_id or "", provider_id=provider_id or "", providers=sorted(bridge.config.providers),
    )  # fmt: skip


@form
async def end_session(request: Request, viewer: Viewer, params: dict[str, str]) -> Response:
    bridge = bridge_of(request)
    now = bridge.clock.now()
    back = local_back(params.get("back"))
    require(viewer, Action.SESSIONS_END, now, back=back)
    session_id = request.path_params["session_id"]
    session = await bridge.store.get_session(session_id, now) if len(session_id) <= 64 else None
    if session is None:
        return redirect(back, "session_gone")
    require(viewer, Action.SESSIONS_END, now, target_role=await effective_role(bridge, session.user_id), back=back)
    ended = await end_one_session(bridge, session, viewer.actor)
    return redirect(back, "session_ended" if ended else "session_gone")


def local_back(raw: str | None) -> str:
    """Where to return after ending a session: the sessions list or a technician's page (never elsewhere)."""
    return local_path(raw, PAGE)
