"""What happens next after each step of a login; endpoints parse input, ask here, then render or redirect.

Every function returns a step (a frozen dataclass), never an HTTP response, so the whole login path can be
read, and tested, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from idp_bridge.oidc.assurance import acr_satisfies, demanded_acr
from idp_bridge.oidc.errors import PageError
from idp_bridge.store.records.core import AuthRequest, Session
from policies.allow_list import AllowListRules, decide_provider, providers_for_portal
from policies.decisions import Deny
from policies.identity_allow_list import decide_identity, needs_fresh_identity
from policies.mfa_requirement import Requirement
from policies.mfa_trust import UpstreamMFA
from providers.base import Identity


@dataclass(frozen=True)
class IssueCode:
    """Single sign-on: the live session satisfies the request; send the portal a code."""

    session: Session


@dataclass(frozen=True)
class ChooseProvider:
    provider_ids: tuple[str, ...]


@dataclass(frozen=True)
class StartUpstream:
    provider_id: str


@dataclass(frozen=True)
class ErrorToPortal:
    error: str
    description: str


@dataclass(frozen=True)
class Refuse:
    page: PageError


@dataclass(frozen=True)
class SignIn:
    """The upstream identity is acceptable: create the user and session, then issue a code. `mfa` says how the
    second factor was settled: "upstream" (trusted evidence), "not_required" or "remembered_device"."""

    identity: Identity
    mfa: str = "not_required"


@dataclass(frozen=True)
class StepUp:
    """A local second factor comes first (flow step 4); no session exists until it succeeds. With `session`, a
    live session is stepped up instead: the second factor only, no new upstream login."""

    reason: str
    session: Session | None = None


def _refusal(denial: Deny) -> Refuse:
    return Refuse(PageError(403, "Sign-in not allowed", denial.reason, denial.code))


def session_satisfies(request: AuthRequest, session: Session, rules: AllowListRules, now: float) -> bool:
    """Whether a live session may answer this request without a new upstream login."""
    if request.prompt is not None and "login" in request.prompt.split(" "):
        return False
    # OIDC Core §3.1.2.1: max_age=0 is equivalent to prompt=login (even when auth_time is this very second).
    if request.max_age is not None and (request.max_age == 0 or now - session.auth_time > request.max_age):
        return False
    if needs_fresh_identity(rules.identity, request.client_id, session.provider_id):
        return False
    return not isinstance(decide_provider(rules, request.client_id, session.provider_id), Deny)


def _may_step_up(request: AuthRequest, session: Session, rules: AllowListRules) -> bool:
    """A session too old for `max_age` may still be stepped up when the portal asks for MFA: a fresh second
    factor is the re-authentication (but prompt=login and max_age=0 always mean a new upstream login)."""
    if request.prompt is not None and "login" in request.prompt.split(" "):
        return False
    if request.max_age == 0:
        return False
    return not isinstance(decide_provider(rules, request.client_id, session.provider_id), Deny)


def after_authorize(
    request: AuthRequest, session: Session | None, rules: AllowListRules, now: float
) -> IssueCode | ErrorToPortal | ChooseProvider | StartUpstream | Refuse | StepUp:
    demanded = demanded_acr(request.acr_values)
    satisfied = session is not None and session_satisfies(request, session, rules, now)
    if session is not None and satisfied and acr_satisfies(session.acr, demanded):
        return IssueCode(session)
    if session is not None and demanded is not None and _may_step_up(request, session, rules):
        if request.prompt == "none":
            return ErrorToPortal("interaction_required", "a second factor is required")
        return StepUp("requested_by_portal", session)
    if request.prompt == "none":
        return ErrorToPortal("login_required", "the user must sign in")
    return choose_provider(request, rules)


def choose_provider(request: AuthRequest, rules: AllowListRules) -> ChooseProvider | StartUpstream | Refuse:
    allowed = providers_for_portal(rules, request.client_id)
    if request.provider_hint is not None:
        decision = decide_provider(rules, request.client_id, request.provider_hint)
        if isinstance(decision, Deny):
            return _refusal(decision)
        return StartUpstream(request.provider_hint)
    if not allowed:
        return Refuse(
            PageError(
                403,
                "Sign-in not available",
                "No sign-in provider is allowed for this application. Ask your security team to allow one.",
                "no_provider_allowed",
            )
        )
    if len(allowed) == 1:
        return StartUpstream(allowed[0])
    return ChooseProvider(allowed)


def before_upstream(request: AuthRequest, provider_id: str, rules: AllowListRules) -> StartUpstream | Refuse:
    decision = decide_provider(rules, request.client_id, provider_id)
    if isinstance(decision, Deny):
        return _refusal(decision)
    return StartUpstream(provider_id)


def after_upstream(request: AuthRequest, identity: Identity, rules: AllowListRules) -> SignIn | Refuse:
    # Checked again on return: the allow-list may have changed while the user was upstream.
    decision = decide_provider(rules, request.client_id, identity.provider_id)
    if isinstance(decision, Deny):
        return _refusal(decision)
    account = decide_identity(rules.identity, request.client_id, identity)
    if isinstance(account, Deny):
        return _refusal(account)
    return SignIn(identity)


def after_first_factor(
    identity: Identity, upstream: UpstreamMFA, requirement: Requirement, *, demanded: bool, remembered: bool
) -> SignIn | StepUp:
    """After the upstream login: sign in on trusted upstream MFA or when none is required; a remembered device
    stands in for the second factor, except when the portal asked for MFA on this request."""
    if upstream.proven:
        return SignIn(identity, "upstream")
    if not requirement.required:
        return SignIn(identity, "not_required")
    if remembered and not demanded:
        return SignIn(identity, "remembered_device")
    return StepUp(requirement.reason)
