"""Changing a technician's MFA settings (admin or self-service): every save signs the technician out everywhere.

Store-level operations for the admin CLI (`idp-bridge mfa ...`) and the settings page; issue 6's admin UI will
call the same functions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from idp_bridge.store.base import Store
from idp_bridge.store.mfa_records import TechnicianMFASettings


async def sign_out_everywhere(store: Store, user_id: str, now: float, reason: str) -> int:
    """End every live session of the user (and drop their half-finished logins); returns how many ended."""
    ended = 0
    for session in await store.list_user_sessions(user_id, now):
        ended += await store.end_session(session.id, now, reason)
    await store.delete_pending_logins(user_id)
    return ended


async def save_settings(store: Store, user_id: str, now: float, **changes: Any) -> TechnicianMFASettings:
    """Apply `changes` (role, enforced, choice, method, phone, email) and sign the technician out everywhere."""
    current = await store.get_mfa_settings(user_id)
    updated = dataclasses.replace(current, **changes, updated_at=now)
    await store.save_mfa_settings(updated)
    await sign_out_everywhere(store, user_id, now, "mfa_settings_changed")
    return updated


async def reset_mfa(store: Store, user_id: str, now: float) -> None:
    """Lost device, admin side: forget the authenticator, recovery codes, remembered devices and lockouts; the
    technician enrolls again at their next login."""
    await store.delete_totp(user_id)
    await store.delete_recovery_codes(user_id)
    await store.delete_remembered_devices(user_id)
    await store.clear_failures(user_id)
    await store.bump_mfa_generation(user_id, now)
    await sign_out_everywhere(store, user_id, now, "mfa_reset")


async def turn_off(store: Store, user_id: str, now: float) -> None:
    """The technician's own "disable two-factor authentication" (where policy allows): as a reset, then off."""
    await reset_mfa(store, user_id, now)
    await save_settings(store, user_id, now, choice="off")
