"""Technician administration: their view, MFA mode and enforcement, reset, recovery codes, limits, disabling.

Each save that touches MFA (method, enforcement, recovery codes) or the role signs the technician out everywhere
(reason "mfa_changed"; a reset "mfa_reset"), through mfa.admin / admin.session_control and so sessions.end;
disabling goes through sessions.end.disable_user (reason "disabled"). The idle timeout and session limit are the
technician's own session settings (user_session_settings: idle_timeout_seconds, max_sessions), the ones session
creation enforces; they apply to sessions opened from then on.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from idp_bridge.admin.api.models import TechnicianUpdate
from idp_bridge.admin.session_control import end_sessions_for
from idp_bridge.mfa import admin as mfa_admin
from idp_bridge.mfa.factors import issue_recovery_codes
from idp_bridge.mfa.services import MFAServices
from idp_bridge.roles import effective as roles
from idp_bridge.sessions.end import disable_user
from idp_bridge.store.records.core import User
from idp_bridge.store.records.session_rules import UserSessionSettings

if TYPE_CHECKING:
    from idp_bridge.bridge import Bridge


async def effective_role(bridge: Bridge, user_id: str) -> str:
    """The local role combined with the role mapped from upstream groups at the last login
    (idp_bridge/roles/effective.py, the same answer the MFA requirement and the session rules read)."""
    return await roles.effective_role(bridge.store, user_id)


async def describe(bridge: Bridge, user: User) -> dict[str, Any]:
    store = bridge.store
    settings = await store.get_mfa_settings(user.id)
    mapped = await store.get_mapped_role(user.id)
    own = await store.get_user_session_settings(user.id) or UserSessionSettings(user.id)
    totp = await store.get_totp(user.id)
    return {
        "id": user.id, "email": user.email, "name": user.name, "provider_id": user.provider_id,
        "disabled": user.disabled, "created_at": user.created_at, "last_login_at": user.last_login_at,
        "role": settings.role, "mapped_role": mapped.mapped_role,
        "effective_role": await roles.effective_role(store, user.id, settings),
        "mfa": {
            "method": settings.method, "enforced": settings.enforced, "choice": settings.choice,
            "authenticator": bool(totp and totp.secret),
            "recovery_codes_left": await store.count_recovery_codes(user.id),
        },
        "idle_timeout_seconds": own.idle_timeout_seconds, "session_limit": own.max_sessions,
    }  # fmt: skip


async def update(bridge: Bridge, user: User, change: TechnicianUpdate, actor: str) -> list[str]:
    """Apply the given fields; returns the names of what changed (for the audit event)."""
    now = bridge.clock.now()
    changed: list[str] = []
    settings_changes: dict[str, Any] = {}
    if change.role is not None:
        settings_changes["role"] = change.role
    if change.mfa_method is not None:
        settings_changes["method"] = change.mfa_method
    if change.enforced is not None:
        settings_changes["enforced"] = change.enforced
    if settings_changes:  # ends every session ("mfa_changed") through sessions.end
        await mfa_admin.save_settings(bridge, user.id, **settings_changes)
        changed += sorted(settings_changes)
    own = await bridge.store.get_user_session_settings(user.id) or UserSessionSettings(user.id)
    idle = None if change.clear_idle_timeout else change.idle_timeout_seconds or own.idle_timeout_seconds
    limit = None if change.clear_session_limit else change.session_limit or own.max_sessions
    if (idle, limit) != (own.idle_timeout_seconds, own.max_sessions):
        new_own = dataclasses.replace(own, idle_timeout_seconds=idle, max_sessions=limit, updated_at=now)
        await bridge.store.put_user_session_settings(new_own)
        changed += [name for name, old, new in (("idle_timeout_seconds", own.idle_timeout_seconds, idle),
                                                ("session_limit", own.max_sessions, limit)) if old != new]  # fmt: skip
    if change.disabled is not None and change.disabled != user.disabled:
        if change.disabled:
            await disable_user(bridge, user.id)  # ends every session ("disabled") through sessions.end
        else:
            await bridge.store.set_user_disabled(user.id, False)
        changed.append("disabled")
    await bridge.auditor.record(
        "admin.technician.updated", "success", user_id=user.id, actor=actor, changed=changed,
        **{k: v for k, v in change.model_dump(exclude_none=True).items() if k != "clear_idle_timeout"},
    )  # fmt: skip
    return changed


async def reset_mfa(bridge: Bridge, user: User, actor: str) -> None:
    await mfa_admin.reset_mfa(bridge, user.id)  # ends every session ("mfa_reset") through sessions.end
    await bridge.auditor.record("admin.technician.mfa_reset", "success", user_id=user.id, actor=actor)


async def regenerate_recovery_codes(bridge: Bridge, mfa: MFAServices, user: User, actor: str) -> list[str]:
    """New recovery codes on the technician's behalf (to hand over out of band); the old ones stop working."""
    now = bridge.clock.now()
    await end_sessions_for(bridge, user.id, "mfa_changed")
    codes = await issue_recovery_codes(mfa, bridge.store, user.id, now)
    await bridge.auditor.record("admin.technician.recovery_codes", "success", user_id=user.id, actor=actor)
    return codes
