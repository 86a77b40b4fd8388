"""GET /admin: the console's start page: who is signed in, their role and change window, the emergency check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin.console.handler import admin_render, bridge_of, page, require
from idp_bridge.admin.console.viewer import Viewer
from idp_bridge.admin.emergency import check_emergency_access
from policies.admin_authorization import Action


@page
async def dashboard(request: Request, viewer: Viewer) -> Response:
    bridge = bridge_of(request)
    now = bridge.clock.now()
    emergency = await check_emergency_access(bridge.store) if viewer.may(Action.TECHNICIANS_READ) else None
    version, _ = await bridge.policy.current() if viewer.may(Action.POLICY_READ) else (None, None)
    sessions = await bridge.store.list_live_sessions(now, limit=1000) if viewer.may(Action.SESSIONS_READ) else ()
    if not viewer.may(Action.TECHNICIANS_READ) and not viewer.may(Action.AUDIT_READ):
        require(viewer, Action.TECHNICIANS_READ, now)  # (every console role has one of these; refuses otherwise)
    return admin_render(
        request, viewer, "dashboard.html", emergency=emergency, policy_version=version, live_sessions=len(sessions)
    )
