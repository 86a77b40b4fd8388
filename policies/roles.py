"""The technician roles, one list for the MFA requirement and the session rules, and the role of one without any."""

from __future__ import annotations

ROLES = ("super_admin", "admin", "technician", "auditor")
DEFAULT_ROLE = "technician"
"""The role of a technician no admin gave one (the technician record's default: store.mfa_records)."""
