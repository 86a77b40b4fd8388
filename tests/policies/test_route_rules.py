"""Tests for policies/route_rules.py: path normalisation, rule matching and the step-up decision."""

from __future__ import annotations

import pytest

from policies.decisions import Allow, StepUp
from policies.route_rules import (
    HOST_NOT_PROTECTED,
    RouteRule,
    SessionEvidence,
    decide_access,
    matching_rule,
    normalise_path,
    step_up_max_age,
)

T0 = 1_700_000_000.0
ADMIN = RouteRule(path_prefix="/admin", mfa_max_age_seconds=600)
APP_BILLING = RouteRule(path_prefix="/admin/billing", mfa_max_age_seconds=60, host="app.test")
OTHER_HOST = RouteRule(path_prefix="/", mfa_max_age_seconds=300, host="ops.test")
RULES = (ADMIN, APP_BILLING, OTHER_HOST)
HOSTS = ("app.test", "ops.test", "wiki.test")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "/"),
        ("", "/"),
        ("/admin?x=1", "/admin"),
        ("/public/../admin/x", "/admin/x"),
        ("/%61dmin", "/admin"),
        ("/public/%2e%2e/admin", "/admin"),
        ("/public/%252e%252e/admin", "/admin"),  # double-encoded
        ("//admin//x/", "/admin/x/"),
        ("/a/./b", "/a/b"),
        ("/../../etc", "/etc"),
        ("\\admin", "/admin"),
    ],
)
def test_normalise_path(raw: str, expected: str) -> None:
    assert normalise_path(raw) == expected


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        ("app.test", "/", None),
        ("app.test", "/admin", ADMIN),
        ("APP.test", "/admin/", ADMIN),
        ("app.test", "/administrator", None),  # a prefix is a whole path segment
        ("app.test", "/admin/billing/x", APP_BILLING),  # longest prefix wins
        ("wiki.test", "/admin/billing/x", ADMIN),  # the host-specific rule is not for this host
        ("ops.test", "/anything", OTHER_HOST),
        ("ops.test", "/admin", ADMIN),  # longer prefix beats the host rule on "/"
        ("app.test", "/public/../admin", ADMIN),
    ],
)
def test_matching_rule(host: str, path: str, expected: RouteRule | None) -> None:
    assert matching_rule(RULES, host, path) == expected


MFA_FRESH = SessionEvidence(amr=("pwd", "mfa"), auth_time=T0 - 100)
MFA_OLD = SessionEvidence(amr=("pwd", "mfa"), auth_time=T0 - 601)
NO_MFA = SessionEvidence(amr=("pwd",), auth_time=T0)


@pytest.mark.parametrize(
    ("host", "path", "evidence", "expected"),
    [
        ("app.test", "/", NO_MFA, Allow()),
        ("app.test", "/admin", NO_MFA, StepUp(("mfa",))),
        ("app.test", "/admin", MFA_FRESH, Allow()),
        ("app.test", "/admin", MFA_OLD, StepUp(("mfa",))),
        ("app.test", "/admin/billing", MFA_FRESH, StepUp(("mfa",))),  # 100 s > 60 s
        ("evil.test", "/", MFA_FRESH, HOST_NOT_PROTECTED),
    ],
)
def test_decide_access(host: str, path: str, evidence: SessionEvidence, expected: object) -> None:
    assert decide_access(HOSTS, RULES, host, path, evidence, T0) == expected


def test_step_up_max_age() -> None:
    assert step_up_max_age(RULES, "app.test", "/admin/billing") == 60
    assert step_up_max_age(RULES, "app.test", "/") is None


APP_LEVEL = "urn:idp-bridge:loa:2"
SENT_CODE = "urn:idp-bridge:loa:mfa-sent-code"
APP_ONLY = RouteRule(path_prefix="/vault", mfa_max_age_seconds=600, acr=APP_LEVEL, accepted_acr=frozenset({APP_LEVEL}))


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        (SessionEvidence(amr=("otp", "mfa"), auth_time=T0 - 10, acr=APP_LEVEL), Allow()),
        (SessionEvidence(amr=("otp", "mfa"), auth_time=T0 - 10, acr=SENT_CODE), StepUp(("mfa",))),  # email code
        (SessionEvidence(amr=("sms", "mfa"), auth_time=T0 - 10, acr=SENT_CODE), StepUp(("mfa",))),
        (SessionEvidence(amr=("otp", "mfa"), auth_time=T0 - 601, acr=APP_LEVEL), StepUp(("mfa",))),  # too old
    ],
)
def test_route_demanding_the_app_level_steps_up_email_and_sms_sessions(evidence: SessionEvidence,
                                                                        expected: object) -> None:  # fmt: skip
    assert decide_access(HOSTS, (APP_ONLY,), "app.test", "/vault/x", evidence, T0) == expected
    # A rule without a level (any second factor) accepts the sent-code session.
    assert decide_access(HOSTS, (ADMIN,), "app.test", "/admin", evidence, T0) == (
        Allow() if evidence.auth_time >= T0 - 600 else StepUp(("mfa",))
    )
