"""Which live sessions an allow-list policy refuses, and why: sessions.end ends them, the policy dry run lists them.

A session is refused when its provider is no longer allowed, or when the identity facts its login recorded (tenant,
groups, app roles, group overage: store.records.session_rules.SessionIdentity) fail the provider's global identity rule
(policies.allow_list.decide_live_session). Sessions opened before sessions kept those facts cannot be judged on
them and are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.core import Session
from policies.allow_list import AllowListRules, decide_live_session
from policies.decisions import Deny

LIVE_SESSION_LIMIT = 100_000
"""Live sessions judged at most at once (the dry run's and a save's listing)."""


@dataclass(frozen=True)
class RefusedSession:
    """A live session the rules refuse; `reason` is "provider_not_allowed" or the identity rule's Deny code
    ("tenant_not_allowed", "group_not_allowed", "role_not_allowed", "group_overage")."""

    session: Session
    reason: str


async def refused_sessions(store: Store, rules: AllowListRules, now: float) -> list[RefusedSession]:
    """The live sessions `rules` refuse, most recently active first. Reads the identity facts only of sessions
    whose provider stays allowed and has a global identity rule."""
    live = await store.list_live_sessions(now, limit=LIVE_SESSION_LIMIT)
    judged = [
        s.id for s in live if s.provider_id in rules.allowed_providers and s.provider_id in rules.identity.by_provider
    ]
    facts = await store.get_session_identities(judged) if judged else {}
    refused: list[RefusedSession] = []
    for session in live:
        decision = decide_live_session(rules, session.provider_id, facts.get(session.id))
        if isinstance(decision, Deny):
            refused.append(RefusedSession(session, decision.code))
    return refused
