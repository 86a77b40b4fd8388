"""GET /session (who is signed in, time left), GET /session/status (JSON for the idle warning, not activity),
POST /session/keepalive (activity, CSRF-checked) and /session/timer.js (the countdown every bridge page with a
live session includes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from idp_bridge.bridge import Bridge
from idp_bridge.sessions.access import age, live_session
from idp_bridge.sessions.cache import CachedSession
from idp_bridge.sessions.csrf import csrf_token_matches, session_csrf_token
from idp_bridge.web.pages import NO_STORE, render
from policies.session_rules import seconds_left, should_warn

TIMER_JS = """(() => {
  const box = document.getElementById("session-timer");
  if (!box) return;
  const warnBefore = Number(box.dataset.warnBefore);
  let idle = Number(box.dataset.idleLeft), absolute = Number(box.dataset.absoluteLeft);
  const fmt = s => {
    s = Math.max(0, Math.floor(s));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  };
  const warning = document.getElementById("session-warning");
  async function refresh() {
    const r = await fetch("/session/status", {credentials: "same-origin"});
    if (!r.ok) { box.textContent = "Your session has ended."; return; }
    const s = await r.json(); idle = s.idle_seconds_left; absolute = s.absolute_seconds_left;
  }
  document.getElementById("session-keepalive")?.addEventListener("click", async () => {
    await fetch("/session/keepalive", {method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": box.dataset.csrf}});
    await refresh();
  });
  setInterval(() => {
    idle -= 1; absolute -= 1;
    document.getElementById("session-idle-left").textContent = fmt(Math.min(idle, absolute));
    document.getElementById("session-absolute-left").textContent = fmt(absolute);
    if (warning) warning.hidden = !(idle > 0 && idle <= warnBefore && idle <= absolute);
    if (idle <= 0 || absolute <= 0) refresh();
  }, 1000);
  setInterval(refresh, 30000);
})();
"""


def timer_context(bridge: Bridge, entry: CachedSession, cookie_token: str, now: float) -> dict[str, object]:
    """What base.html's session timer needs; pass as `session_timer=` to render() on any page."""
    idle_left, absolute_left = seconds_left(age(entry.session, entry.last_seen), now)
    warn_before = bridge.config.sessions.idle_warning_seconds
    return {
        "idle_left": int(idle_left),
        "absolute_left": int(absolute_left),
        "warn_before": warn_before,
        "warn": should_warn(age(entry.session, entry.last_seen), now, warn_before),
        "csrf": keepalive_csrf(bridge, cookie_token),
    }


def keepalive_csrf(bridge: Bridge, cookie_token: str) -> str:
    return session_csrf_token(bridge.config.server.secret_key.get_secret_value(), cookie_token, "keepalive")


async def _entry(bridge: Bridge, request: Request, touch: bool) -> tuple[CachedSession, str] | None:
    token = bridge.session_cookie.read(request)
    if token is None:
        return None
    entry = await live_session(bridge, token, bridge.clock.now(), cached=False, touch=touch)
    return (entry, token) if entry is not None else None


async def page(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    found = await _entry(bridge, request, touch=True)
    if found is None:
        return render("logged_out.html", was_signed_in=False)
    entry, token = found
    return render(
        "session.html", who=entry.email or entry.name or entry.session.user_id, provider=entry.session.provider_id,
        amr=", ".join(entry.session.amr), session_timer=timer_context(bridge, entry, token, bridge.clock.now()),
    )  # fmt: skip


async def status(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    found = await _entry(bridge, request, touch=False)  # looking at the clock is not activity
    if found is None:
        return JSONResponse({"error": "no_session"}, status_code=401, headers=NO_STORE)
    timer = timer_context(bridge, found[0], found[1], bridge.clock.now())
    return JSONResponse(
        {"idle_seconds_left": timer["idle_left"], "absolute_seconds_left": timer["absolute_left"],
         "warn_before_seconds": timer["warn_before"], "warn": timer["warn"]},
        headers=NO_STORE,
    )  # fmt: skip


async def keepalive(request: Request) -> Response:
    bridge: Bridge = request.app.state.bridge
    token = bridge.session_cookie.read(request)
    sent = request.headers.get("x-csrf-token", "")
    if token is None or not csrf_token_matches(keepalive_csrf(bridge, token), sent):
        await bridge.auditor.record("session.keepalive_rejected", "failure", request=request, reason="bad_csrf_token")
        return JSONResponse({"error": "invalid_request"}, status_code=403, headers=NO_STORE)
    return await status(request) if await _entry(bridge, request, touch=True) else JSONResponse(
        {"error": "no_session"}, status_code=401, headers=NO_STORE
    )


async def timer_js(request: Request) -> Response:
    return Response(TIMER_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})
