"""The admin console's request plumbing: who is asking, may they, is the form genuine; refusals as pages.

Every page handler is wrapped by `page` (GET) or `form` (POST). Both find the viewer (no session: to sign-in for a
GET, a 401 page for a POST) and refuse plain technicians. `form` also reads the body defensively and checks the
CSRF token (bound to the session token) and, when the browser sends one, the Origin header. Handlers call
`require(viewer, action)`, which applies `policies.admin_authorization.decide_admin`, the same function as the
JSON API; a change without a second factor in the last 10 minutes is refused with a link to the step-up.
Every refusal is a 4xx page and an `admin.rejected` audit event; nothing is changed then.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from idp_bridge.admin.console.viewer import Viewer, find_viewer
from idp_bridge.bridge import Bridge
from idp_bridge.endpoints.session_page import timer_context
from idp_bridge.sessions.csrf import csrf_token_matches
from idp_bridge.web.pages import NO_STORE, render
from idp_bridge.web.request_params import ParameterError, form_params
from policies.admin_authorization import Action, decide_admin
from policies.decisions import Deny

MAX_FIELD = 60_000  # a policy document in the editor's text area
MAX_FIELDS = 400  # the policy editor has a checkbox per provider and portal (the body stays within 64 KiB)
MULTILINE_FIELDS = frozenset({"rules"})  # the console's text areas: the only fields where line breaks are allowed
BASE = "/admin"


class Refusal(Exception):
    """A request the console refuses: shown as `status` with `title` and `message`, audited with `code`.
    `step_up`: the refusal is the recent-MFA rule; the page links to the step-up, which returns to `back`.
    `problems`: each thing wrong with a form, listed under the message (and in the audit event). `user_id`: who
    was refused, when known without a console viewer (a signed-in plain technician)."""

    def __init__(
        self, status: int, code: str, title: str, message: str, *, back: str = BASE, problems: Sequence[str] = (),
        user_id: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.code, self.title, self.message, self.back = status, code, title, message, back
        self.problems = tuple(problems)
        self.user_id = user_id

    @property
    def step_up(self) -> bool:
        return self.code == "step_up_required"


def bridge_of(request: Request) -> Bridge:
    bridge: Bridge = request.app.state.bridge
    return bridge


def local_path(raw: str | None, default: str = BASE) -> str:
    """`raw` when it is a path inside the console (never another host: no scheme, no `//`, no backslash)."""
    if not raw or not raw.startswith(BASE) or "\\" in raw or any(ord(c) < 0x21 for c in raw) or len(raw) > 1000:
        return default
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not (parts.path == BASE or parts.path.startswith(BASE + "/")):
        return default
    return raw


def require(viewer: Viewer, action: Action, now: float, *, target_role: str | None = None, back: str = BASE) -> None:
    """Raise Refusal unless the viewer may perform `action` now (on someone whose role is `target_role`)."""
    decision = decide_admin(viewer.principal, action, now, target_role=target_role)
    if isinstance(decision, Deny):
        title = "Verify it is you" if decision.code == "step_up_required" else "Not allowed"
        raise Refusal(403, decision.code, title, decision.reason, back=back)


def admin_render(request: Request, viewer: Viewer, template: str, status: int = 200, **context: Any) -> Response:
    """A console page: base layout with the viewer, their change window and the session timer."""
    bridge = bridge_of(request)
    now = bridge.clock.now()
    # The step-up returns with a GET: from a page a form POST rendered, to the page it belongs to (`back`).
    after_step_up = request.url.path if request.method == "GET" else local_path(context.get("back"))
    return render(
        f"admin/{template}", status=status, viewer=viewer, Action=Action, csrf=viewer.csrf,
        change_window=viewer.change_window_left(now), here=request.url.path,
        step_up_url=f"{BASE}/step-up?next={quote(after_step_up, safe='/')}",
        session_timer=timer_context(bridge, viewer.entry, viewer.cookie_token, now),
        notice=NOTICES.get(request.query_params.get("done", "")), **context,
    )  # fmt: skip


async def audit_refusal(request: Request, viewer: Viewer | None, refusal: Refusal) -> None:
    """The `admin.rejected` event of a refusal; for handlers that answer a refusal with a page of their own (e.g.
    the policy editor again, with the problems beside the fields)."""
    problems: dict[str, Any] = {"problems": [p[:200] for p in refusal.problems[:20]]} if refusal.problems else {}
    await bridge_of(request).auditor.record(
        "admin.rejected", "denied" if refusal.status in (401, 403) else "failure", request=request,
        user_id=viewer.user.id if viewer else refusal.user_id, path=request.url.path[:200], method=request.method,
        reason=refusal.code, message=refusal.message[:300], **problems,
    )  # fmt: skip


async def _refused(request: Request, viewer: Viewer | None, refusal: Refusal) -> Response:
    await audit_refusal(request, viewer, refusal)
    step_up = f"{BASE}/step-up?next={quote(refusal.back, safe='/')}" if refusal.step_up else None
    context = {"title": refusal.title, "message": refusal.message, "back": refusal.back, "step_up": step_up,
               "problems": refusal.problems}  # fmt: skip
    if viewer is None:
        return render("admin/refused_anonymous.html", status=refusal.status, **context)
    return admin_render(request, viewer, "refused.html", status=refusal.status, **context)


async def _viewer_or_refusal(request: Request) -> Viewer | Refusal | Response:
    bridge = bridge_of(request)
    if not bridge.config.admin.enabled:
        return Refusal(404, "console_disabled", "Page not found", "There is nothing at this address.")
    viewer = await find_viewer(bridge, request, bridge.clock.now())
    if viewer is None:
        if request.method == "GET":
            target = quote(local_path(str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")))
            return RedirectResponse(f"{BASE}/sign-in?next={target}", status_code=303, headers=NO_STORE)
        return Refusal(401, "no_session", "Signed out", "Your session has ended. Sign in again and repeat the change.")
    if not viewer.is_staff:
        return Refusal(
            403, "role_forbids", "Not allowed", "Your role does not give access to the admin console.",
            user_id=viewer.user.id,
        )  # fmt: skip
    return viewer


PageHandler = Callable[[Request, Viewer], Awaitable[Response]]
FormHandler = Callable[[Request, Viewer, dict[str, str]], Awaitable[Response]]


async def _guarded(request: Request, run: Callable[[Viewer], Awaitable[Response]]) -> Response:
    """Find the viewer (or refuse, or send to sign-in), run the handler, turn its Refusal into the refusal page."""
    found = await _viewer_or_refusal(request)
    if isinstance(found, Refusal):
        return await _refused(request, None, found)
    if isinstance(found, Response):
        return found
    try:
        return await run(found)
    except Refusal as refusal:
        return await _refused(request, found, refusal)


async def _genuine_form(request: Request, viewer: Viewer) -> dict[str, str]:
    """The form's fields, read defensively, once its CSRF token and Origin were checked; raises Refusal."""
    try:
        params = await form_params(request, MAX_FIELD, max_parameters=MAX_FIELDS, multiline=MULTILINE_FIELDS)
    except ParameterError as exc:
        raise Refusal(exc.status, "bad_form", "Invalid form", exc.message) from None
    if not _same_origin(request, bridge_of(request).issuer) or not csrf_token_matches(
        viewer.csrf, params.get("csrf_token")
    ):
        raise Refusal(
            403, "csrf", "Form expired",
            "This form is out of date or was not sent from the admin console. Reload the page and try again.",
        )  # fmt: skip
    return params


def page(handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        return await _guarded(request, lambda viewer: handler(request, viewer))

    return wrapped


def form(handler: FormHandler) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        async def run(viewer: Viewer) -> Response:
            return await handler(request, viewer, await _genuine_form(request, viewer))

        return await _guarded(request, run)

    return wrapped


def _same_origin(request: Request, issuer: str) -> bool:
    """A browser's Origin (sent with every cross-site and most same-site POSTs) must be the bridge's own."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        # Non-browser clients send none; browsers send "null" under the bridge's Referrer-Policy: no-referrer.
        # The CSRF token alone decides then; a page of another site shows its own origin and is refused here.
        return True
    own = urlsplit(issuer)
    return origin == f"{own.scheme}://{own.netloc}"


NOTICES = {
    "session_ended": "The session was ended; its portals were told (back-channel logout).",
    "session_gone": "That session had already ended.",
    "policy_saved": "The new policy version is saved and applies now on every instance.",
    "policy_rolled_back": "The policy was rolled back; the result is saved as a new version.",
    "technician_saved": "Saved.",
    "token_revoked": "The API token was revoked; it stops working at once.",
    "technician_signed_out": "Saved. The change touched MFA or the account: the technician was signed out everywhere.",
    "technician_unchanged": "Nothing to save: the form matched the current settings.",
    "mfa_reset": "MFA was reset: the technician was signed out everywhere and enrolls again at the next sign-in.",
}
"""Fixed notices a page shows after a change, by code: never text from the URL, so a link cannot fake one."""


def redirect(path: str, done: str | None = None) -> Response:
    """303 back to a console page after a change (POST/redirect/GET), with the code of a notice to show."""
    location = f"{path}{'&' if '?' in path else '?'}done={quote(done)}" if done else path
    return RedirectResponse(location, status_code=303, headers=NO_STORE)
