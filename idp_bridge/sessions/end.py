"""The one place sessions end: in the store, in this worker's cache, in the audit trail, and at every portal
(back-channel logout, in the background). Every reason (logout, eviction, timeouts, forced) comes through here.

Entry points for other features: `end_user_sessions(bridge, user_id, "mfa_changed")` when a technician's MFA
settings change (`"mfa_reset"` when an admin resets them: mfa/admin.py), `"disabled"` when a technician is
disabled, and so on (END_REASONS).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.requests import Request

from idp_bridge.bridge import Bridge
from idp_bridge.sessions.backchannel import schedule_logouts
from idp_bridge.sessions.refused import RefusedSession, refused_sessions
from idp_bridge.store.records.core import Session
from idp_bridge.store.records.session_rules import END_REASONS
from policies.allow_list import PROVIDER_NOT_ALLOWED, AllowListRules

_log = logging.getLogger("idp_bridge.sessions")


async def after_ended(bridge: Bridge, sessions: Sequence[Session], request: Request | None = None) -> None:
    """What follows a session end the store has recorded: cache, audit, back-channel logouts."""
    for session in sessions:
        bridge.sessions.cache.drop_session(session.id)
        await bridge.auditor.record(
            "session.ended", "success", request=request, user_id=session.user_id, provider_id=session.provider_id,
            session_id=session.id, reason=session.end_reason,
        )  # fmt: skip
        await schedule_logouts(bridge, session)


def _check(reason: str) -> None:
    if reason not in END_REASONS:
        raise ValueError(f"unknown session end reason {reason!r}")


async def end_session(bridge: Bridge, session_id: str, reason: str, request: Request | None = None) -> Session | None:
    """End one live session; the ended record, or None when it was not live (someone else ended it first)."""
    _check(reason)
    ended = await bridge.store.end_session_returning(session_id, bridge.clock.now(), reason)
    if ended is not None:
        await after_ended(bridge, [ended], request)
    return ended


async def end_user_sessions(
    bridge: Bridge, user_id: str, reason: str, request: Request | None = None
) -> Sequence[Session]:
    """End every live session of a technician at once (MFA changed or reset, disabled, admin action)."""
    _check(reason)
    ended = await bridge.store.end_user_sessions(user_id, bridge.clock.now(), reason)
    await after_ended(bridge, ended, request)
    return ended


async def disable_user(bridge: Bridge, user_id: str, request: Request | None = None) -> Sequence[Session]:
    """Disable a technician and end all their sessions."""
    await bridge.store.set_user_disabled(user_id, True)
    return await end_user_sessions(bridge, user_id, "disabled", request)


async def expire_session_by_token(bridge: Bridge, token_hash: str, request: Request | None = None) -> Session | None:
    """Lazy expiry: a request found no live session for this token; if it ran out without being ended yet, end
    it now (reason idle or absolute) so its portals hear of it at once rather than at the next sweep."""
    ended = await bridge.store.end_expired_session_by_token(token_hash, bridge.clock.now())
    if ended is not None:
        await after_ended(bridge, [ended], request)
    return ended


async def expire_session(bridge: Bridge, session_id: str) -> Session | None:
    ended = await bridge.store.end_expired_session(session_id, bridge.clock.now())
    if ended is not None:
        await after_ended(bridge, [ended])
    return ended


async def sweep_expired_sessions(bridge: Bridge, batch: int = 500) -> int:
    """End every session that ran out since the last sweep (idle or absolute) and send its back-channel logouts.
    Run every sessions.sweep_interval_seconds and before each purge; atomic with lazy expiry (each ends once)."""
    total = 0
    while True:
        ended = await bridge.store.end_expired_sessions(bridge.clock.now(), limit=batch)
        await after_ended(bridge, ended)
        total += len(ended)
        if len(ended) < batch:
            return total


async def end_sessions_the_policy_refuses(bridge: Bridge) -> int:
    """At startup: sessions the current policy version (the store's, else the config's) refuses end
    ("policy_changed"): their provider is no longer allowed, or their identity facts fail its global rule."""
    ended = await end_sessions_refused_by(bridge, await bridge.policy.rules())
    if ended:
        _log.info("ended %d sessions the current policy no longer allows", len(ended))
    return len(ended)


async def end_sessions_outside(bridge: Bridge, allowed_providers: Sequence[str]) -> Sequence[Session]:
    """End ("policy_changed") every live session signed in through a provider not in `allowed_providers`, in one
    store step (end_sessions_refused_by's first step)."""
    ended = await bridge.store.end_sessions_by_provider(allowed_providers, bridge.clock.now(), "policy_changed")
    await after_ended(bridge, ended)
    return ended


async def end_sessions_refused_by(bridge: Bridge, rules: AllowListRules) -> Sequence[RefusedSession]:
    """End ("policy_changed") every live session `rules` refuse: at startup against the current policy version,
    and when a policy version is saved (admin.policy_service). First, in one store step, those of providers no
    longer allowed; then, one by one, those whose recorded identity facts the provider's global identity rule
    refuses (refused_sessions; sessions without recorded facts are kept). Returns the ended sessions, with why."""
    ended = [
        RefusedSession(s, PROVIDER_NOT_ALLOWED.code)
        for s in await end_sessions_outside(bridge, rules.allowed_providers)
    ]
    if not rules.identity.by_provider:
        return ended
    for refused in await refused_sessions(bridge.store, rules, bridge.clock.now()):
        session = await end_session(bridge, refused.session.id, "policy_changed")
        if session is not None:  # (None: it ended meanwhile, for some other reason)
            ended.append(RefusedSession(session, refused.reason))
    return ended
