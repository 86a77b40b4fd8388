"""Changing a technician's MFA settings (admin or self-service): every save signs the technician out everywhere.

Operations for the admin CLI (`idp-bridge mfa ...`) and the settings page; issue 6's admin UI will call the same
functions. Sessions end through sessions.end (worker cache, audit, back-channel logouts to the portals).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request

from idp_bridge.bridge import Bridge
from idp_bridge.sessions.end import end_session, end_user_sessions
from idp_bridge.store.records.mfa import TechnicianMFASettings


async def sign_out_everywhere(bridge: Bridge, user_id: str, reason: str, request: Request | None = None) -> int:
    """End every live session of the user (and drop their half-finished logins); returns how many ended."""
    ended = await end_user_sessions(bridge, user_id, reason, request)
    await bridge.store.delete_pending_logins(user_id)
    return len(ended)


async def end_other_sessions(bridge: Bridge, user_id: str, keep_session_id: str, request: Request | None = None) -> int:
    """End every live session of the user but the one making the change; returns how many ended."""
    ended = 0
    for live in await bridge.store.list_user_sessions(user_id, bridge.clock.now()):
        if live.id != keep_session_id and await end_session(bridge, live.id, "mfa_changed", request) is not None:
            ended += 1
    await bridge.store.delete_pending_logins(user_id)
    return ended


async def save_settings(
    bridge: Bridge, user_id: str, *, request: Request | None = None, **changes: Any
) -> TechnicianMFASettings:
    """Apply `changes` (role, enforced, choice, method, phone, email) and sign the technician out everywhere."""
    current = await bridge.store.get_mfa_settings(user_id)
    updated = dataclasses.replace(current, **changes, updated_at=bridge.clock.now())
    await bridge.store.save_mfa_settings(updated)
    await sign_out_everywhere(bridge, user_id, "mfa_changed", request)
    return updated


async def _forget_factors(bridge: Bridge, user_id: str) -> None:
    store = bridge.store
    await store.delete_totp(user_id)
    await store.delete_recovery_codes(user_id)
    await store.delete_remembered_devices(user_id)
    await store.clear_failures(user_id)
    await store.bump_mfa_generation(user_id, bridge.clock.now())


async def reset_mfa(bridge: Bridge, user_id: str, request: Request | None = None) -> None:
    """Lost device, admin side: forget the authenticator, recovery codes, remembered devices and lockouts; the
    technician enrolls again at their next login."""
    await _forget_factors(bridge, user_id)
    await sign_out_everywhere(bridge, user_id, "mfa_reset", request)


async def turn_off(bridge: Bridge, user_id: str, request: Request | None = None) -> None:
    """The technician's own "disable two-factor authentication" (where policy allows): factors forgotten, then off."""
    await _forget_factors(bridge, user_id)
    await save_settings(bridge, user_id, request=request, choice="off")
