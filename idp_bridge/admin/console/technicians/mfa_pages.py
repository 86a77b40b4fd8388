"""A technician's second factors on their behalf: GET+POST /admin/technicians/{id}/reset-mfa (a confirmation page,
then the reset) and POST /admin/technicians/{id}/recovery-codes (new codes, shown once on the response page).

Both sign the technician out everywhere (admin.technicians, shared with the JSON API). The new recovery codes
appear only in that one no-store response: never in a URL, a redirect, a log line or an audit event.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin import technicians
from idp_bridge.admin.console.handler import admin_render, bridge_of, form, page, redirect, require
from idp_bridge.admin.console.technicians.pages import find_technician, page_in_path, require_change, technician_path
from idp_bridge.admin.console.viewer import Viewer
from idp_bridge.mfa.services import mfa_services
from idp_bridge.store.records.core import User
from policies.admin_authorization import Action


async def changeable_technician(request: Request, viewer: Viewer) -> User:
    """The technician in the path, once the viewer may change them now (role, target's role, recent MFA)."""
    require(viewer, Action.TECHNICIANS_WRITE, bridge_of(request).clock.now(), back=page_in_path(request))
    user = await find_technician(request)
    await require_change(viewer, request, user)
    return user

@page
async def confirm_reset_page(request: Request, viewer: Viewer) -> Response:
    """Ask before resetting (no script: a page of its own). Refused like the reset itself, so a missing step-up
    is asked for before the confirmation, not after."""
    bridge = bridge_of(request)
    user = await changeable_technician(request, viewer)
    shown = await technicians.describe(bridge, user)
    live = await bridge.store.list_user_sessions(user.id, bridge.clock.now())
    return admin_render(request, viewer, "technician_reset.html", t=shown, live_sessions=len(live),
                        back=technician_path(user.id))  # fmt: skip


@form
async def reset_mfa(request: Request, viewer: Viewer, params: dict[str, str]) -> Response:
    bridge = bridge_of(request)
    user = await changeable_technician(request, viewer)
    await technicians.reset_mfa(bridge, user, viewer.actor)
    return redirect(technician_path(user.id), "mfa_reset")


@form
async def new_recovery_codes(request: Request, viewer: Viewer, params: dict[str, str]) -> Response:
    bridge = bridge_of(request)
    user = await changeable_technician(request, viewer)
    codes = await technicians.regenerate_recovery_codes(bridge, mfa_services(request), user, viewer.actor)
    shown = await technicians.describe(bridge, user)
    return admin_render(request, viewer, "technician_codes.html", t=shown, codes=codes,
                        back=technician_path(user.id))  # fmt: skip
