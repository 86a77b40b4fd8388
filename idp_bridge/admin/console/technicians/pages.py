"""GET /admin/technicians (search, paging), GET /admin/technicians/{id} (one technician: MFA state, live sessions,
recent audit events, the forms) and POST /admin/technicians/{id} (settings).

Changes go through admin.technicians, the service layer the JSON API uses; who may change whom is decided as
there: acting on an Admin or Super Admin, or granting either role, is a Super Admin action. The MFA forms are in
technician_mfa_pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin import technicians
from idp_bridge.admin.console.audit_rows import audit_rows
from idp_bridge.admin.console.handler import BASE, Refusal, admin_render, bridge_of, form, page, redirect, require
from idp_bridge.admin.console.query import query_int, query_text
from idp_bridge.admin.console.sessions_pages import rows as session_rows
from idp_bridge.admin.console.technicians.form import is_empty, update_from_form
from idp_bridge.admin.console.viewer import Viewer
from idp_bridge.audit.reader import AuditQuery, find_events
from idp_bridge.mfa.services import mfa_services
from idp_bridge.store.records.core import User
from policies.admin_authorization import Action, combine_roles, effective_action
from policies.roles import PRIVILEGE_ORDER

PAGE = f"{BASE}/technicians"
PAGE_SIZE = 50
RECENT_EVENTS = 20
_SIGNS_OUT = frozenset({"role", "method", "enforced"})  # technicians.update's names for the MFA settings


def technician_path(user_id: str) -> str:
    return f"{PAGE}/{quote(user_id[:64], safe='')}"


def page_in_path(request: Request) -> str:
    """The technician page the request is about (where a refusal's Back and step-up links return)."""
    return technician_path(request.path_params["user_id"])


async def find_technician(request: Request) -> User:
    """The technician named in the path; a 404 page when there is none."""
    user_id = request.path_params["user_id"]
    user = await bridge_of(request).store.get_user(user_id) if len(user_id) <= 64 else None
    if user is None:
        raise Refusal(404, "not_found", "Technician not found", f"There is no technician {user_id[:64]!r}.", back=PAGE)
    return user


def may_change(viewer: Viewer, effective_role: str) -> bool:
    """Whether to show the change forms (the server decides again on every POST)."""
    needed = effective_action(Action.TECHNICIANS_WRITE, effective_role)  # on an Admin: a Super Admin action
    return viewer.may(Action.TECHNICIANS_WRITE) and viewer.may(needed)


async def require_change(viewer: Viewer, request: Request, user: User, new_role: str | None = None) -> None:
    """Refuse unless the viewer may change `user` now (granting `new_role`, if any): the API's rule."""
    bridge = bridge_of(request)
    target = combine_roles(await technicians.effective_role(bridge, user.id), new_role)
    require(viewer, Action.TECHNICIANS_WRITE, bridge.clock.now(), target_role=target, back=technician_path(user.id))


@page
async def technicians_page(request: Request, viewer: Viewer) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.TECHNICIANS_READ, bridge.clock.now())
    q = query_text(request, "q", 200, PAGE)
    offset = query_int(request, "offset", 0, 0, 10**9, PAGE)
    found = await bridge.store.search_users(q, PAGE_SIZE + 1, offset)
    listed = [await technicians.describe(bridge, user) for user in found[:PAGE_SIZE]]
    return admin_render(
        request, viewer, "technicians.html", technicians=listed, q=q or "", offset=offset, page_size=PAGE_SIZE,
        more=len(found) > PAGE_SIZE, default_method=bridge.config.mfa.default_method,
    )  # fmt: skip


@page
async def technician_page(request: Request, viewer: Viewer) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.TECHNICIANS_READ, bridge.clock.now(), back=PAGE)
    user = await find_technician(request)
    return admin_render(request, viewer, "technician.html", **await _detail(request, viewer, user))


async def _detail(request: Request, viewer: Viewer, user: User) -> dict[str, Any]:
    bridge = bridge_of(request)
    shown = await technicians.describe(bridge, user)
    events = (await find_events(bridge.store, bridge.auditor, AuditQuery(user_id=user.id, limit=RECENT_EVENTS))
              if viewer.may(Action.AUDIT_READ) else [])  # fmt: skip
    return {
        "t": shown, "back": technician_path(user.id), "may_change": may_change(viewer, shown["effective_role"]),
        "may_set_role": viewer.may(Action.ADMINS_MANAGE), "roles": PRIVILEGE_ORDER,
        "methods": mfa_services(request).methods(), "default_method": bridge.config.mfa.default_method,
        "sessions": await session_rows(request, user_id=user.id) if viewer.may(Action.SESSIONS_READ) else [],
        "may_end": viewer.may(effective_action(Action.SESSIONS_END, shown["effective_role"])),
        "events": await audit_rows(bridge, events),
    }  # fmt: skip


@form
async def save_technician(request: Request, viewer: Viewer, params: dict[str, str]) -> Response:
    bridge = bridge_of(request)
    back = page_in_path(request)
    require(viewer, Action.TECHNICIANS_WRITE, bridge.clock.now(), back=back)
    user = await find_technician(request)
    await require_change(viewer, request, user)
    change = update_from_form(params, await technicians.describe(bridge, user), back)
    if change.role is not None:
        await require_change(viewer, request, user, change.role)
    if is_empty(change):
        return redirect(back, "technician_unchanged")
    changed = set(await technicians.update(bridge, user, change, viewer.actor))
    signed_out = changed & _SIGNS_OUT or ("disabled" in changed and change.disabled)
    return redirect(back, "technician_signed_out" if signed_out else "technician_saved")
