"""Which upstream providers a portal may use: the global allow-list, narrowed per portal; nothing by default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from policies.decisions import Allow, Deny
from policies.identity_allow_list import IdentityFacts, IdentityRules, session_still_allowed

PROVIDER_NOT_ALLOWED = Deny("provider_not_allowed", "Signing in with this provider is not allowed.")
PROVIDER_NOT_ALLOWED_FOR_PORTAL = Deny(
    "provider_not_allowed_for_portal", "Signing in with this provider is not allowed for this application."
)
UNKNOWN_PORTAL = Deny("unknown_portal", "This application is not registered with the sign-in service.")


@dataclass(frozen=True)
class AllowListRules:
    """The allow-lists, by provider id.

    `allowed_providers`: providers usable at all, in the order they are offered (an empty tuple allows
    nothing). `portal_providers`: per registered portal (by client_id), the providers it may use, or None to
    inherit the global list; a portal's list never widens the global one. An unregistered portal may use none.
    `identity`: which accounts of each provider may sign in (policies.identity_allow_list).
    """

    allowed_providers: tuple[str, ...]
    portal_providers: Mapping[str, frozenset[str] | None]
    identity: IdentityRules = field(default_factory=IdentityRules)

    def __post_init__(self) -> None:
        # Copy into read-only views so that the rules cannot change after they were built.
        object.__setattr__(self, "allowed_providers", tuple(dict.fromkeys(self.allowed_providers)))
        object.__setattr__(self, "portal_providers", MappingProxyType(dict(self.portal_providers)))


def providers_for_portal(rules: AllowListRules, client_id: str) -> tuple[str, ...]:
    """The providers `client_id` may use, in the order of the global list; () for an unknown portal."""
    if client_id not in rules.portal_providers:
        return ()
    own = rules.portal_providers[client_id]
    return tuple(p for p in rules.allowed_providers if own is None or p in own)


def decide_provider(rules: AllowListRules, client_id: str, provider_id: str) -> Allow | Deny:
    """Whether a login for portal `client_id` may go through `provider_id`."""
    if client_id not in rules.portal_providers:
        return UNKNOWN_PORTAL
    if provider_id not in rules.allowed_providers:
        return PROVIDER_NOT_ALLOWED
    own = rules.portal_providers[client_id]
    if own is not None and provider_id not in own:
        return PROVIDER_NOT_ALLOWED_FOR_PORTAL
    return Allow()


def decide_live_session(rules: AllowListRules, provider_id: str, facts: IdentityFacts | None) -> Allow | Deny:
    """Whether a live session may go on under (new) `rules`: its provider is still allowed at all, and the facts
    its login recorded pass the provider's global identity rule (facts None: kept, see session_still_allowed).
    A provider that stays allowed globally but leaves some portals' lists keeps its sessions: each portal
    checks its own list at the session's next /authorize."""
    if provider_id not in rules.allowed_providers:
        return PROVIDER_NOT_ALLOWED
    return session_still_allowed(rules.identity, provider_id, facts)
