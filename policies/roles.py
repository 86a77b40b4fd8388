"""The technician roles, one list for the MFA requirement and the session rules, the role of one without any, and
their order of privilege."""

from __future__ import annotations

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
