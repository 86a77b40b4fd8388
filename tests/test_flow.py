"""The pure step functions of idp_bridge/flow.py, table-driven: records in, a step out, no I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from idp_bridge.flow import (
    ChooseProvider,
    ErrorToPortal,
    IssueCode,
    Refuse,
    SignIn,
    StartUpstream,
    StepUp,
    after_authorize,
    after_first_factor,
    after_upstream,
    before_upstream,
    choose_provider,
    session_satisfies,
)
from idp_bridge.store.records.core import AuthRequest, Session
from policies.allow_list import AllowListRules
from policies.mfa_requirement import Requirement
from policies.mfa_trust import UpstreamMFA
from providers.base import Identity

NOW = 1_700_000_000.0

RULES = AllowListRules(
    allowed_providers=("acme", "globex", "initech"),
    portal_providers={"console": None, "kiosk": frozenset({"globex"}), "locked": frozenset(), "pair": None},
)
NARROW = AllowListRules(allowed_providers=("globex",), portal_providers={"console": None})

REQUEST = AuthRequest(
    id="req", client_id="console", redirect_uri="https://portal/cb", scope="openid", state="s", nonce="n",
    code_challenge="c" * 43, prompt=None, max_age=None, login_hint=None, acr_values=None, provider_hint=None,
    created_at=NOW, expires_at=NOW + 600,
)  # fmt: skip

SESSION = Session(
    id="sid", token_hash="h", user_id="u", provider_id="acme", auth_time=int(NOW) - 100, amr=("pwd",),
    acr="urn:idp-bridge:loa:1", created_at=NOW - 100, last_seen_at=NOW - 10, expires_at=NOW + 3600,
    idle_timeout=1800,
)  # fmt: skip


def _req(**change: object) -> AuthRequest:
    return replace(REQUEST, **change)  # type: ignore[arg-type]


SATISFIES = [
    pytest.param(_req(), SESSION, RULES, True, id="plain"),
    pytest.param(_req(prompt="login"), SESSION, RULES, False, id="prompt-login"),
    pytest.param(_req(prompt="consent login"), SESSION, RULES, False, id="prompt-consent-login"),
    pytest.param(_req(prompt="consent"), SESSION, RULES, True, id="prompt-consent"),
    pytest.param(_req(prompt="none"), SESSION, RULES, True, id="prompt-none"),
    pytest.param(_req(max_age=100), SESSION, RULES, True, id="max-age-exactly-elapsed"),
    pytest.param(_req(max_age=99), SESSION, RULES, False, id="max-age-exceeded"),
    pytest.param(_req(max_age=3600), SESSION, RULES, True, id="max-age-fresh"),
    pytest.param(_req(max_age=0), replace(SESSION, auth_time=int(NOW)), RULES, False, id="max-age-0-same-second"),
    pytest.param(_req(max_age=0), SESSION, RULES, False, id="max-age-0"),
    pytest.param(_req(client_id="kiosk"), SESSION, RULES, False, id="provider-not-for-portal"),
    pytest.param(_req(), SESSION, NARROW, False, id="provider-no-longer-allowed"),
    pytest.param(_req(client_id="unknown"), SESSION, RULES, False, id="unknown-portal"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "session", "rules", "expected"), SATISFIES)
def test_session_satisfies(request_: AuthRequest, session: Session, rules: AllowListRules, expected: bool) -> None:
    assert session_satisfies(request_, session, rules, NOW) is expected


LOA2 = "urn:idp-bridge:loa:2"
MFA_SESSION = replace(SESSION, acr=LOA2, amr=("pwd", "otp", "mfa"))

AFTER_AUTHORIZE = [
    pytest.param(_req(), None, ChooseProvider(("acme", "globex", "initech")), id="no-session-choose"),
    pytest.param(_req(), SESSION, IssueCode(SESSION), id="sso"),
    pytest.param(_req(prompt="none"), SESSION, IssueCode(SESSION), id="prompt-none-with-session"),
    pytest.param(_req(prompt="none"), None, ErrorToPortal("login_required", "the user must sign in"),
                 id="prompt-none-without-session"),
    pytest.param(_req(prompt="none", max_age=1), SESSION, ErrorToPortal("login_required", "the user must sign in"),
                 id="prompt-none-stale-session"),
    pytest.param(_req(prompt="login"), SESSION, ChooseProvider(("acme", "globex", "initech")), id="prompt-login"),
    pytest.param(_req(client_id="kiosk"), SESSION, StartUpstream("globex"), id="session-from-other-provider"),
    pytest.param(_req(provider_hint="globex"), None, StartUpstream("globex"), id="hint"),
    # A portal asking for MFA (acr_values): a loa:1 session is stepped up, not used for single sign-on.
    pytest.param(_req(acr_values=LOA2), SESSION, StepUp("requested_by_portal", SESSION), id="loa2-steps-up-loa1"),
    pytest.param(_req(acr_values=f"urn:other {LOA2}"), MFA_SESSION, IssueCode(MFA_SESSION), id="loa2-session-sso"),
    pytest.param(_req(acr_values="urn:idp-bridge:loa:1"), SESSION, IssueCode(SESSION), id="loa1-request"),
    pytest.param(_req(acr_values=LOA2, max_age=10), MFA_SESSION, StepUp("requested_by_portal", MFA_SESSION),
                 id="loa2-too-old-fresh-second-factor"),
    pytest.param(_req(acr_values=LOA2, max_age=0), MFA_SESSION, ChooseProvider(("acme", "globex", "initech")),
                 id="loa2-max-age-0-new-login"),
    pytest.param(_req(acr_values=LOA2, prompt="login"), SESSION, ChooseProvider(("acme", "globex", "initech")),
                 id="loa2-prompt-login-new-login"),
    pytest.param(_req(acr_values=LOA2, prompt="none"), SESSION,
                 ErrorToPortal("interaction_required", "a second factor is required"), id="loa2-prompt-none"),
    pytest.param(_req(acr_values=LOA2, client_id="kiosk"), SESSION, StartUpstream("globex"),
                 id="loa2-session-provider-not-for-portal"),
    pytest.param(_req(acr_values=LOA2), None, ChooseProvider(("acme", "globex", "initech")), id="loa2-no-session"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "session", "expected"), AFTER_AUTHORIZE)
def test_after_authorize(request_: AuthRequest, session: Session | None, expected: object) -> None:
    assert after_authorize(request_, session, RULES, NOW) == expected


CHOOSE = [
    pytest.param(_req(), ChooseProvider(("acme", "globex", "initech")), id="all-global-in-order"),
    pytest.param(_req(client_id="kiosk"), StartUpstream("globex"), id="single-provider-skips-page"),
    pytest.param(_req(provider_hint="initech"), StartUpstream("initech"), id="allowed-hint"),
    pytest.param(_req(client_id="kiosk", provider_hint="globex"), StartUpstream("globex"), id="allowed-portal-hint"),
    pytest.param(_req(provider_hint="nope"), "provider_not_allowed", id="hint-not-allowed"),
    pytest.param(_req(client_id="kiosk", provider_hint="acme"), "provider_not_allowed_for_portal",
                 id="hint-not-for-portal"),
    pytest.param(_req(client_id="locked"), "no_provider_allowed", id="portal-with-none"),
    pytest.param(_req(client_id="unknown"), "no_provider_allowed", id="unknown-portal"),
    pytest.param(_req(client_id="unknown", provider_hint="acme"), "unknown_portal", id="unknown-portal-hint"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "expected"), CHOOSE)
def test_choose_provider(request_: AuthRequest, expected: object) -> None:
    step = choose_provider(request_, RULES)
    if isinstance(expected, str):
        assert isinstance(step, Refuse)
        assert (step.page.status, step.page.audit_code) == (403, expected)
        assert step.page.message and step.page.title
    else:
        assert step == expected


BEFORE_UPSTREAM = [
    pytest.param("console", "acme", None, id="allowed"),
    pytest.param("kiosk", "globex", None, id="allowed-for-portal"),
    pytest.param("kiosk", "acme", "provider_not_allowed_for_portal", id="not-for-portal"),
    pytest.param("console", "nope", "provider_not_allowed", id="not-allowed"),
    pytest.param("locked", "acme", "provider_not_allowed_for_portal", id="locked-portal"),
    pytest.param("unknown", "acme", "unknown_portal", id="unknown-portal"),
]


@pytest.mark.parametrize(("client_id", "provider_id", "denial"), BEFORE_UPSTREAM)
def test_before_upstream(client_id: str, provider_id: str, denial: str | None) -> None:
    step = before_upstream(_req(client_id=client_id), provider_id, RULES)
    if denial is None:
        assert step == StartUpstream(provider_id)
    else:
        assert isinstance(step, Refuse) and (step.page.status, step.page.audit_code) == (403, denial)


IDENTITY = Identity(provider_id="acme", issuer="https://acme.example", subject="alice")


@pytest.mark.parametrize(
    ("client_id", "rules", "denial"),
    [
        pytest.param("console", RULES, None, id="allowed"),
        pytest.param("kiosk", RULES, "provider_not_allowed_for_portal", id="not-for-portal"),
        pytest.param("console", NARROW, "provider_not_allowed", id="allow-list-changed-meanwhile"),
    ],
)
def test_after_upstream(client_id: str, rules: AllowListRules, denial: str | None) -> None:
    step = after_upstream(_req(client_id=client_id), IDENTITY, rules)
    if denial is None:
        assert step == SignIn(IDENTITY)
    else:
        assert isinstance(step, Refuse) and (step.page.status, step.page.audit_code) == (403, denial)


PROVEN, UNPROVEN = UpstreamMFA(True, "proven", ("amr:mfa",)), UpstreamMFA(False, "no_mfa_evidence")
REQUIRED, OPTIONAL = Requirement(True, "global_policy"), Requirement(False, "global_policy")


@pytest.mark.parametrize(
    ("upstream", "requirement", "demanded", "remembered", "expected"),
    [
        (PROVEN, REQUIRED, True, False, SignIn(IDENTITY, "upstream")),
        (UNPROVEN, OPTIONAL, False, False, SignIn(IDENTITY, "not_required")),
        (UNPROVEN, REQUIRED, False, True, SignIn(IDENTITY, "remembered_device")),
        (UNPROVEN, REQUIRED, False, False, StepUp("global_policy")),
        (UNPROVEN, Requirement(True, "requested_by_portal"), True, True, StepUp("requested_by_portal")),
    ],
    ids=["upstream-mfa", "not-required", "remembered", "step-up", "remembered-not-enough-when-demanded"],
)
def test_after_first_factor(
    upstream: UpstreamMFA, requirement: Requirement, demanded: bool, remembered: bool, expected: object
) -> None:
    assert after_first_factor(IDENTITY, upstream, requirement, demanded=demanded, remembered=remembered) == expected
