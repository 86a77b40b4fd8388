"""Which session rules apply to a technician (config role defaults + their own settings), and opening a session
under them: the concurrency limit applied atomically, the evicted sessions ended everywhere, the login's identity
facts kept with it."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request

from idp_bridge.bridge import Bridge
from idp_bridge.config.model import SessionConfig
from idp_bridge.roles.effective import effective_role
from idp_bridge.sessions.end import after_ended
from idp_bridge.store.records.core import Session
from idp_bridge.store.records.session_rules import SessionIdentity
from policies.roles import ROLES
from policies.session_rules import EffectiveRules, RoleRules, UserOverrides, effective_rules
from providers.base import Identity


def role_rules(cfg: SessionConfig) -> dict[str, RoleRules]:
    """Every role's rules: its [sessions.roles.ROLE] table over the [sessions] defaults."""
    rules: dict[str, RoleRules] = {}
    for role in ROLES:
        own = cfg.roles.get(role)  # type: ignore[call-overload]
        rules[role] = RoleRules(
            idle_timeout_seconds=(own and own.idle_timeout_seconds) or cfg.idle_timeout_seconds,
            lifetime_seconds=(own and own.lifetime_seconds) or cfg.lifetime_seconds,
            max_sessions=(own and own.max_sessions) or cfg.max_sessions,
        )
    return rules


def longest_lifetime(cfg: SessionConfig) -> int:
    return max(r.lifetime_seconds for r in role_rules(cfg).values())


async def rules_for_user(bridge: Bridge, user_id: str, role: str | None = None) -> EffectiveRules:
    """The role is the technician's effective role (local combined with mapped: idp_bridge/roles/effective.py, the one
    the MFA requirement reads too; pass `role` when the caller has it); the technician's own idle timeout, lifetime and
    limit from user_session_settings."""
    role = role or await effective_role(bridge.store, user_id)
    own = await bridge.store.get_user_session_settings(user_id)
    overrides = (
        UserOverrides(own.idle_timeout_seconds, own.lifetime_seconds, own.max_sessions) if own is not None else None
    )
    return effective_rules(role_rules(bridge.config.sessions), role, overrides)


def identity_facts(identity: Identity) -> SessionIdentity:
    """What a session keeps of its upstream login: groups (forward-auth headers) and the facts the provider's global
    identity rule checks when the policy changes (refused_sessions)."""
    return SessionIdentity(identity.groups, identity.tenant, identity.roles, identity.groups_overage)


async def open_session(
    bridge: Bridge, session: Session, limit: int, facts: SessionIdentity | None, request: Request | None = None
) -> Sequence[Session]:
    """Store the new session with the identity `facts` of its login, ending the user's oldest beyond `limit`, in
    one atomic step (facts None: not known, e.g. a login parked for MFA before pending logins kept them; such a
    session has no groups and is never judged by identity rules); the evicted ones' portals get back-channel
    logouts. Returns the evicted sessions."""
    evicted = await bridge.store.create_session_evicting(session, limit, session.created_at, facts)
    await after_ended(bridge, evicted, request)
    return evicted
