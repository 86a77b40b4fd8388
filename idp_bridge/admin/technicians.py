"""Technician administration: their view, MFA mode and enforcement, reset, recovery codes, limits, disabling.

Each save that touches MFA (method, enforcement, reset, recovery codes) or the role signs the technician out
everywhere, through admin.session_control (reason "mfa_changed"); disabling ends sessions with reason "disabled".
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from idp_bridge.admin.api_models import TechnicianUpdate
from idp_bridge.admin.session_control import end_sessions_for
from idp_bridge.mfa import admin as mfa_admin
from idp_bridge.mfa.factors import issue_recovery_codes
from idp_bridge.mfa.services import MFAServices
from idp_bridge.store.records import User
from policies.admin_authorization import combine_roles

if TYPE_CHECKING:
    from idp_bridge.bridge import Bridge


async def effective_role(bridge: Bridge, user_id: str) -> str:
    """The local role combined with the role mapped from upstream groups at the last login."""
    settings = await bridge.store.get_mfa_settings(user_id)
    limits = await bridge.store.get_technician_limits(user_id)
    return combine_roles(settings.role, limits.mapped_role)


async def describe(bridge: Bridge, user: User) -> dict[str, Any]:
    store = bridge.store
    settings = await store.get_mfa_settings(user.id)
    limits = await store.get_technician_limits(user.id)
    totp = await store.get_totp(user.id)
    return {
        "id": user.id, "email": user.email, "name": user.name, "provider_id": user.provider_id,
        "disabled": user.disabled, "created_at": user.created_at, "last_login_at": user.last_login_at,
        "role": settings.role, "mapped_role": limits.mapped_role,
        "effective_role": combine_roles(settings.role, limits.mapped_role),
        "mfa": {
            "method": settings.method, "enforced": settings.enforced, "choice": settings.choice,
            "authenticator": bool(totp and totp.secret),
            "recovery_codes_left": await store.count_recovery_codes(user.id),
        },
        "idle_timeout_seconds": limits.idle_timeout_seconds, "session_limit": limits.session_limit,
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
    if settings_changes:  # ends every session ("mfa_changed") through session_end
        await mfa_admin.save_settings(bridge, user.id, **settings_changes)
        changed += sorted(settings_changes)
    limits = await bridge.store.get_technician_limits(user.id)
    idle = None if change.clear_idle_timeout else change.idle_timeout_seconds or limits.idle_timeout_seconds
    limit = None if change.clear_session_limit else change.session_limit or limits.session_limit
    new_limits = dataclasses.replace(limits, idle_timeout_seconds=idle, session_limit=limit)
    if new_limits != limits:
        await bridge.store.save_technician_limits(dataclasses.replace(new_limits, updated_at=now))
        names = ("idle_timeout_seconds", "session_limit")
        changed += [n for n in names if getattr(new_limits, n) != getattr(limits, n)]
    if change.disabled is not None and change.disabled != user.disabled:
        await bridge.store.set_user_disabled(user.id, change.disabled)
        if change.disabled:
            await end_sessions_for(bridge, user.id, "disabled")
        changed.append("disabled")
    await bridge.auditor.record(
        "admin.technician.updated", "success", user_id=user.id, actor=actor, changed=changed,
        **{k: v for k, v in change.model_dump(exclude_none=True).items() if k != "clear_idle_timeout"},
    )  # fmt: skip
    return changed


async def reset_mfa(bridge: Bridge, user: User, actor: str) -> None:
    await mfa_admin.reset_mfa(bridge, user.id)  # ends every session ("mfa_reset") through session_end
    await bridge.auditor.record("admin.technician.mfa_reset", "success", user_id=user.id, actor=actor)


async def regenerate_recovery_codes(bridge: Bridge, mfa: MFAServices, user: User, actor: str) -> list[str]:
    """New recovery codes on the technician's behalf (to hand over out of band); the old ones stop working."""
    now = bridge.clock.now()
    await end_sessions_for(bridge, user.id, "mfa_changed")
    codes = await issue_recovery_codes(mfa, bridge.store, user.id, now)
    await bridge.auditor.record("admin.technician.recovery_codes", "success", user_id=user.id, actor=actor)
    return codes
