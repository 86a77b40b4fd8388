"""The emergency-access check: at least two Super Admins with MFA enrolled, each on their own authenticator.

Shown in the admin UI, the API (`GET /admin/api/emergency-access`) and `check-config`. A TOTP secret belongs to
one technician, so two enrolled Super Admins hold two distinct authenticators; whether both apps sit on one phone
cannot be seen from the server, which the warning says.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp_bridge.store.protocol.core import Store

MINIMUM = 2


@dataclass(frozen=True)
class EmergencyAccess:
    super_admins: int
    enrolled: int

    @property
    def ok(self) -> bool:
        return self.enrolled >= MINIMUM

    @property
    def warning(self) -> str | None:
        if self.ok:
            return None
        return (
            f"emergency access: only {self.enrolled} Super Admin(s) have MFA enrolled ({self.super_admins} Super "
            f"Admin(s) in all); keep at least {MINIMUM}, each with an authenticator on a different device, so that "
            "losing one device does not lock the security team out"
        )


async def check_emergency_access(store: Store) -> EmergencyAccess:
    holders = await store.list_role_holders("super_admin")
    enrolled = 0
    active = 0
    for user_id in holders:
        user = await store.get_user(user_id)
        if user is not None and user.disabled:
            continue
        active += 1
        totp = await store.get_totp(user_id)
        if totp is not None and totp.secret is not None:
            enrolled += 1
    return EmergencyAccess(super_admins=active, enrolled=enrolled)
