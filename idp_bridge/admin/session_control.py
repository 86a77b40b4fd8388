"""Ending sessions on behalf of the security team: the ONE place administration ends sessions.

Everything goes through `idp_bridge.sessions.end`, so an ended session leaves this worker's session cache at once
(other workers within their cache bound), is audited as `session.ended`, and its portals get back-channel logout
tokens; the browser is told why on its next request (the reason's signed-out message).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from idp_bridge.sessions import end as session_end

if TYPE_CHECKING:
    from idp_bridge.bridge import Bridge
    from idp_bridge.sessions.refused import RefusedSession
    from idp_bridge.store.records.core import Session
    from policies.allow_list import AllowListRules


async def end_sessions_for(
    bridge: Bridge, user_id: str, reason: str, *, session_ids: Collection[str] | None = None
) -> int:
    """End the user's live sessions (only `session_ids` among them, when given); returns how many ended.
    `reason` is one of store.records.session_rules.END_REASONS: here "policy_changed", "admin", "disabled",
    "mfa_changed" or "mfa_reset"."""
    if session_ids is None:
        return len(await session_end.end_user_sessions(bridge, user_id, reason))
    ended = 0
    for session_id in dict.fromkeys(session_ids):
        session = await bridge.store.get_session(session_id, bridge.clock.now())
        if session is not None and session.user_id == user_id:
            ended += await session_end.end_session(bridge, session_id, reason) is not None
    return ended


async def end_one_session(bridge: Bridge, session: Session, actor: str) -> bool:
    """A security-team member (or API token) ends one live session: ended through sessions.end (reason "admin")
    and audited as a forced logout naming the actor. False when it had already ended meanwhile."""
    ended = await end_sessions_for(bridge, session.user_id, "admin", session_ids={session.id})
    if ended:
        await bridge.auditor.record(
            "session.forced_logout", "success", user_id=session.user_id, session_id=session.id, actor=actor,
            reason="admin", provider_id=session.provider_id,
        )  # fmt: skip
    return bool(ended)


async def end_sessions_refused_by_policy(bridge: Bridge, rules: AllowListRules) -> Sequence[RefusedSession]:
    """A policy version was saved: end ("policy_changed") every live session it refuses (provider no longer allowed,
    or identity facts its global identity rule refuses), with the function the startup check uses; returns the
    ended sessions with why."""
    return await session_end.end_sessions_refused_by(bridge, rules)
