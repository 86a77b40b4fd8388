"""Ending sessions on behalf of the security team: the ONE place administration ends sessions.

After the issue-4 merge (sessions, logout, back-channel), the body of `end_sessions_for` must delegate to
`idp_bridge.session_end` (end_user_sessions / end_session), so that the per-worker session cache is invalidated
and back-channel logout tokens reach the portals. Until then it ends the sessions in the store.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from idp_bridge.bridge import Bridge


async def end_sessions_for(
    bridge: Bridge, user_id: str, reason: str, *, session_ids: Collection[str] | None = None
) -> int:
    """End the user's live sessions (only `session_ids` among them, when given); returns how many ended.
    Reasons: "policy_changed", "admin", "disabled", "mfa_changed"."""
    # TODO(issue-4 merge): replace the loop with session_end.end_user_sessions(bridge, user_id, reason) when
    # session_ids is None, else session_end.end_session(bridge, session, reason) for each selected session.
    now = bridge.clock.now()
    ended = 0
    for session in await bridge.store.list_user_sessions(user_id, now):
        if session_ids is None or session.id in session_ids:
            ended += await bridge.store.end_session(session.id, now, reason)
    return ended
