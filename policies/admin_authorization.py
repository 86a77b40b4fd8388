"""Who may do what in the admin API and UI: a role x action table, API-token scopes and the recent-MFA rule.

Pure: the caller describes the principal (a signed-in admin or an API token) and the action; the answer is
Allow or Deny(code, reason). The same function guards the JSON API and the web UI.

- A signed-in person acts with their role; any change (a non-read action) needs a second factor within
  `RECENT_MFA_SECONDS` (step-up), otherwise Deny("step_up_required").
- An API token acts with its scopes only (tokens are machine credentials issued by a Super Admin; they cannot
  do a step-up, so the recent-MFA rule does not apply to them; their expiry and scopes bound them instead).
- Acting on an Admin or Super Admin (changing their MFA, disabling them, ending their sessions) or granting
  one of those roles is a Super Admin action (`admins.manage`), whatever the base action.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from policies.decisions import Allow, Deny
from policies.roles import DEFAULT_ROLE, most_privileged

RECENT_MFA_SECONDS = 600
PRIVILEGED_ROLES = frozenset({"super_admin", "admin"})


class Action(enum.Enum):
    POLICY_READ = "policy.read"
    POLICY_WRITE = "policy.write"
    TECHNICIANS_READ = "technicians.read"
    TECHNICIANS_WRITE = "technicians.write"
    ADMINS_MANAGE = "admins.manage"
    SESSIONS_READ = "sessions.read"
    SESSIONS_END = "sessions.end"
    AUDIT_READ = "audit.read"
    TOKENS_MANAGE = "tokens.manage"

    @property
    def is_read(self) -> bool:
        return self.value.endswith(".read")


_READS = frozenset({Action.POLICY_READ, Action.TECHNICIANS_READ, Action.SESSIONS_READ, Action.AUDIT_READ})

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    "super_admin": frozenset(Action),
    "admin": _READS | {Action.TECHNICIANS_WRITE, Action.SESSIONS_END},
    "auditor": _READS,
    "technician": frozenset(),
}
"""The role x action table. Only Super Admins change policies, other admins and API tokens."""

SCOPES: dict[str, frozenset[Action]] = {
    "policy:read": frozenset({Action.POLICY_READ}),
    "policy:write": frozenset({Action.POLICY_READ, Action.POLICY_WRITE}),
    "technicians:read": frozenset({Action.TECHNICIANS_READ}),
    "technicians:write": frozenset({Action.TECHNICIANS_READ, Action.TECHNICIANS_WRITE}),
    "admins:write": frozenset({Action.ADMINS_MANAGE}),
    "sessions:read": frozenset({Action.SESSIONS_READ}),
    "sessions:write": frozenset({Action.SESSIONS_READ, Action.SESSIONS_END}),
    "audit:read": frozenset({Action.AUDIT_READ}),
    "tokens:write": frozenset({Action.TOKENS_MANAGE}),
}
"""API-token scopes and the actions each one grants."""

ROLE_FORBIDS = Deny("role_forbids", "Your role does not allow this action.")
SUPER_ADMIN_ONLY = Deny("super_admin_only", "Only a Super Admin may change administrators.")
SCOPE_MISSING = Deny("scope_missing", "This API token's scopes do not allow this action.")
STEP_UP_REQUIRED = Deny(
    "step_up_required", "Changes need a second factor within the last 10 minutes: verify it again first."
)
DISABLED = Deny("disabled", "This account is disabled.")


@dataclass(frozen=True)
class Principal:
    """Who is asking. kind "session": a person with `role`, whose last second factor was at `mfa_at` (None:
    never in this session). kind "token": an API token with `scopes`."""

    kind: str
    role: str | None = None
    scopes: frozenset[str] = frozenset()
    mfa_at: float | None = None
    disabled: bool = False


def effective_action(action: Action, target_role: str | None) -> Action:
    """A write aimed at an Admin or Super Admin (or granting that role) becomes `admins.manage`."""
    if action in (Action.TECHNICIANS_WRITE, Action.SESSIONS_END) and target_role in PRIVILEGED_ROLES:
        return Action.ADMINS_MANAGE
    return action


def decide_admin(principal: Principal, action: Action, now: float, *, target_role: str | None = None) -> Allow | Deny:
    """Whether `principal` may perform `action` (on a user whose role is `target_role`, if any)."""
    if principal.disabled:
        return DISABLED
    needed = effective_action(action, target_role)
    if principal.kind == "token":
        granted = frozenset().union(*(SCOPES.get(s, frozenset()) for s in principal.scopes))
        return Allow() if action in granted and needed in granted else SCOPE_MISSING
    allowed = ROLE_ACTIONS.get(principal.role or "", frozenset())
    if action not in allowed:
        return ROLE_FORBIDS
    if needed not in allowed:
        return SUPER_ADMIN_ONLY
    if not needed.is_read and (principal.mfa_at is None or now - principal.mfa_at > RECENT_MFA_SECONDS):
        return STEP_UP_REQUIRED
    return Allow()


def valid_scopes(scopes: frozenset[str]) -> list[str]:
    """The unknown scope names in `scopes` (empty when all are known)."""
    return sorted(s for s in scopes if s not in SCOPES)


def combine_roles(local: str | None, mapped: str | None) -> str:
    """The effective role of a technician: the more privileged of the locally assigned role and the role mapped
    from upstream groups by policy (combined, so a mapping can grant but never take away a local assignment)."""
    return most_privileged(local, mapped) or DEFAULT_ROLE
