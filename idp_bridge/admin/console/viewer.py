"""Who is looking at the admin console: the live bridge session behind the cookie, its user and effective role.

The console has no login of its own: it reads the bridge's session cookie (the one every portal login creates),
so the console's session obeys the same rules as any other (idle and absolute timeouts, eviction by a newer login,
forced logout when MFA settings change, disabling). A second factor counts as recent for `policies.
admin_authorization` when the session is multi-factor (acr loa:2) and its `auth_time` (the moment of the last
factor, upstream or local) is within RECENT_MFA_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from idp_bridge.admin.technicians import effective_role
from idp_bridge.bridge import Bridge
from idp_bridge.oidc.assurance import ACR_MULTI_FACTOR
from idp_bridge.sessions.access import live_session
from idp_bridge.sessions.cache import CachedSession
from idp_bridge.sessions.csrf import session_csrf_token
from idp_bridge.store.records.core import User
from policies.admin_authorization import RECENT_MFA_SECONDS, ROLE_ACTIONS, Action, Principal

CSRF_PURPOSE = "admin-form"


@dataclass(frozen=True)
class Viewer:
    """A signed-in person in the console. `csrf` goes into every form they are shown."""

    user: User
    entry: CachedSession
    role: str
    cookie_token: str
    csrf: str

    @property
    def mfa_at(self) -> float | None:
        session = self.entry.session
        return float(session.auth_time) if session.acr == ACR_MULTI_FACTOR else None

    @property
    def principal(self) -> Principal:
        return Principal(kind="session", role=self.role, mfa_at=self.mfa_at, disabled=self.user.disabled)

    @property
    def actor(self) -> str:
        """How audit events and policy versions name this person."""
        return f"user:{self.user.id}"

    @property
    def label(self) -> str:
        return self.user.email or self.user.name or self.user.id

    def may(self, action: Action) -> bool:
        """Whether the role allows `action` at all (for showing controls; the recent-MFA rule is checked on use)."""
        return action in ROLE_ACTIONS.get(self.role, frozenset())

    def change_window_left(self, now: float) -> int:
        """Seconds left in which changes need no new second factor (0: verify again first)."""
        if self.mfa_at is None:
            return 0
        return max(0, int(self.mfa_at + RECENT_MFA_SECONDS - now))

    @property
    def may_change(self) -> bool:
        """Whether the role allows any change at all (an auditor's does not: no step-up prompts for them)."""
        return any(not action.is_read for action in ROLE_ACTIONS.get(self.role, frozenset()))

    @property
    def is_staff(self) -> bool:
        """Any role that may see the console at all (everyone but a plain technician)."""
        return bool(ROLE_ACTIONS.get(self.role))


async def find_viewer(bridge: Bridge, request: Request, now: float) -> Viewer | None:
    """The viewer behind the request's session cookie, or None without a live session. Always read from the store
    (never the per-worker cache), so an ended session or a changed role counts at once."""
    token = bridge.session_cookie.read(request)
    if token is None:
        return None
    entry = await live_session(bridge, token, now, cached=False)
    if entry is None:
        return None
    user = await bridge.store.get_user(entry.session.user_id)
    if user is None or user.disabled:
        return None
    role = await effective_role(bridge, user.id)
    csrf = session_csrf_token(bridge.config.server.secret_key.get_secret_value(), token, CSRF_PURPOSE)
    return Viewer(user=user, entry=entry, role=role, cookie_token=token, csrf=csrf)
