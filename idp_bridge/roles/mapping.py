"""Recording, at each upstream login, the admin role the policy's role mappings give the technician.

The mapping follows the upstream: the role is evaluated again from the groups and app roles of every login's
id_token against the policy in force (bridge.policy.document(), as fresh as the allow-list of the same login), and
cleared when they no longer match. Live sessions are not touched when a mapping or a technician's groups change:
the recorded role changes at the next login. The one exception to "follows the upstream" is group overage
(policies/roles.py): then an earlier role is kept and the login says so in the audit log.
"""

from __future__ import annotations

from starlette.requests import Request

from idp_bridge.bridge import Bridge
from idp_bridge.policy.document import mapped_role, maps_groups
from idp_bridge.store.records.admin import MappedRole
from policies.roles import next_mapped_role
from providers.base import Identity


async def record_mapped_role(bridge: Bridge, request: Request | None, user_id: str, identity: Identity) -> str | None:
    """Evaluate the role mappings for this login's identity and record the result if it changed (one read per
    login, a write only on a change). Audits `role.mapped` (old -> new) on a change, and
    `role.mapping_not_reevaluated` when group overage kept the groups from being evaluated. Returns the mapped
    role recorded now."""
    document = await bridge.policy.document()
    provider_id = identity.provider_id
    previous = (await bridge.store.get_mapped_role(user_id)).mapped_role
    computed = mapped_role(document, provider_id, identity.groups, identity.roles)
    left_out = identity.groups_overage and maps_groups(document, provider_id)
    update = next_mapped_role(previous, computed, groups_left_out=left_out)
    if not update.reevaluated:
        await bridge.auditor.record(
            "role.mapping_not_reevaluated", "failure", request=request, user_id=user_id, provider_id=provider_id,
            reason="group_overage", kept=update.role, from_app_roles=computed,
        )  # fmt: skip
    if update.role != previous:
        await bridge.store.save_mapped_role(MappedRole(user_id, update.role, bridge.clock.now()))
        await bridge.auditor.record(
            "role.mapped", "success", request=request, user_id=user_id, provider_id=provider_id,
            old=previous, new=update.role,
        )  # fmt: skip
    return update.role
