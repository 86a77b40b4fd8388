"""The effective role of a technician: the one answer every role consumer reads (MFA requirement, session rules,
admin authorization).

The effective role is the more privileged of the local role (the technician record: admin API, `idp-bridge mfa
set-role`) and the role mapped from upstream groups/app roles by the policy, recorded at the technician's last
upstream login (idp_bridge/roles/mapping.py). A mapping can add privilege, never take a local role away
(policies.admin_authorization.combine_roles). This module reads only the store, so both the login path and
idp_bridge/admin import it without cycles.
"""

from __future__ import annotations

from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.mfa import TechnicianMFASettings
from policies.admin_authorization import combine_roles
from policies.mfa_requirement import TechnicianMFA


async def effective_role(store: Store, user_id: str, settings: TechnicianMFASettings | None = None) -> str:
    """The technician's effective role; pass `settings` when the caller has just read them (one read less)."""
    local = settings.role if settings is not None else (await store.get_mfa_settings(user_id)).role
    return combine_roles(local, (await store.get_mapped_role(user_id)).mapped_role)


async def technician_mfa(store: Store, settings: TechnicianMFASettings, role: str | None = None) -> TechnicianMFA:
    """What the MFA requirement knows of a technician: the effective role (pass `role` when the caller has it),
    an admin's enforcement, their choice."""
    role = role or await effective_role(store, settings.user_id, settings)
    return TechnicianMFA(role=role, enforced=settings.enforced, choice=settings.choice)  # type: ignore[arg-type]
