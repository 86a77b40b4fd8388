"""Finding the live session behind a session token, on every path: expiry enforced, activity recorded (coalesced).

`cached=True` (forward-auth's hot path) answers from this worker's cache when the entry was read from the store
less than a second ago; `cached=False` (/authorize, logout) always reads the store. Either way a session that
ran out is ended on the spot (lazy expiry, with back-channel logouts), and a disabled user's sessions all end.
"""

from __future__ import annotations

from idp_bridge.bridge import Bridge
from idp_bridge.observability import request_context
from idp_bridge.sessions.cache import CachedSession
from idp_bridge.sessions.end import end_user_sessions, expire_session_by_token
from idp_bridge.store.records.core import Session, secret_hash
from idp_bridge.web.header_values import identity_headers
from policies.session_rules import Expiry, SessionAge, expiry, needs_activity_write


def write_interval(bridge: Bridge, session: Session) -> float:
    """How often activity is written to the store: the configured interval, but at most a quarter of the idle
    timeout, so the store's idle deadline is never more than that early."""
    return min(float(bridge.config.sessions.activity_write_interval_seconds), session.idle_timeout / 4)


def age(session: Session, last_seen: float) -> SessionAge:
    return SessionAge(session.id, session.created_at, last_seen, session.idle_timeout, session.expires_at)


async def _load(bridge: Bridge, token_hash: str, now: float) -> CachedSession | None:
    cache = bridge.sessions.cache
    session = await bridge.store.get_session_by_token(token_hash, now)
    if session is None:
        cache.drop(token_hash)
        await expire_session_by_token(bridge, token_hash)
        return None
    user = await bridge.store.get_user(session.user_id)
    if user is None or user.disabled:
        cache.drop(token_hash)
        await end_user_sessions(bridge, session.user_id, "disabled")
        return None
    groups = tuple(await bridge.store.get_session_groups(session.id))
    previous = cache.get(token_hash)
    seen_here = previous.last_seen if previous is not None and previous.session.id == session.id else 0.0
    entry = CachedSession(
        session=session, email=user.email, name=user.name, groups=groups, checked_at=now,
        stored_last_seen=session.last_seen_at, last_seen=max(session.last_seen_at, seen_here),
        raw_headers=(
            *((k.lower().encode(), v.encode()) for k, v in
              identity_headers(user.id, user.email, user.name, groups, session.amr, session.acr)),
            (b"content-length", b"0"),
        ),
    )  # fmt: skip
    cache.put(token_hash, entry)
    return entry


async def live_session(
    bridge: Bridge, token: str, now: float, *, cached: bool, touch: bool = True
) -> CachedSession | None:
    """The live session for a (signature-checked) browser token, or None. `touch` counts this as activity."""
    token_hash = secret_hash(token)
    entry = bridge.sessions.cache.fresh(token_hash, now) if cached else None
    if entry is None:
        entry = await _load(bridge, token_hash, now)
        if entry is None:
            return None
    elif expiry(age(entry.session, entry.last_seen), now) is not Expiry.LIVE:
        bridge.sessions.cache.drop(token_hash)
        await expire_session_by_token(bridge, token_hash)
        return None
    if touch:
        entry.last_seen = max(entry.last_seen, now)
        if needs_activity_write(entry.stored_last_seen, now, write_interval(bridge, entry.session)):
            await bridge.store.touch_session(entry.session.id, now)
            entry.stored_last_seen = now
    request_context.note_user(entry.session.user_id)
    return entry
