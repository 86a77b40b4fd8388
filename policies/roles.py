"""The technician roles: one list for the MFA requirement and the session rules, their order of privilege, and which
mapped role a login records.

The policy's role mappings are evaluated again at every upstream login (idp_bridge/roles/mapping.py records the
result), so a changed mapping reaches a technician at their next login; live sessions are left as they are. The
mapping follows the upstream, except where the upstream left the groups out.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("super_admin", "admin", "technician", "auditor")
DEFAULT_ROLE = "technician"
"""The role of a technician no admin gave one (the technician record's default: store.records.mfa)."""

PRIVILEGE_ORDER = ("technician", "auditor", "admin", "super_admin")
"""Least to most privileged: an auditor reads everything a technician cannot; an admin also changes technicians."""
_RANK = {role: rank for rank, role in enumerate(PRIVILEGE_ORDER)}


def most_privileged(*roles: str | None) -> str | None:
    """The most privileged of `roles`; None (and names that are no role) are ignored; None when none is left."""
    known = [role for role in roles if role in _RANK]
    return max(known, key=_RANK.__getitem__) if known else None


@dataclass(frozen=True)
class MappedRoleUpdate:
    """`role`: the mapped role to record after this login (None: no mapping matched). `reevaluated` is False when
    the group mappings could not be evaluated (the upstream left the groups out) and an earlier role was kept."""

    role: str | None
    reevaluated: bool = True


def next_mapped_role(previous: str | None, computed: str | None, *, groups_left_out: bool) -> MappedRoleUpdate:
    """`previous`: the recorded mapped role; `computed`: what the current mappings give the identity as received;
    `groups_left_out`: the upstream left the groups out (Entra group overage) AND the policy maps groups of this
    provider, so `computed` saw no groups at all."""
    if not groups_left_out:
        return MappedRoleUpdate(computed)
    # Group overage: `computed` reflects app roles only, and a group-based role recorded earlier can be neither
    # confirmed nor disproven. It is kept rather than cleared silently: clearing would demote a Super Admin whose
    # group count merely grew past the token's limit, locking the security team out of its own bridge. The caller
    # audits that the role was not re-evaluated, so the team can check it. App roles present still count (they
    # can only raise the role); the role is evaluated in full again at the next login whose token carries groups.
    return MappedRoleUpdate(most_privileged(previous, computed), reevaluated=False)
