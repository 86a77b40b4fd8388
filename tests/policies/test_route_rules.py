"""Tests for policies/route_rules.py: path normalisation, rule matching and the step-up decision."""

from __future__ import annotations

import pytest

from policies.decisions import Allow, StepUp
from policies.route_rules import (
    AMBIGUOUS_PATH,
    HOST_NOT_PROTECTED,
    AmbiguousPath,
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
        ("/%2561dmin", "/admin"),  # a double-encoded letter is decoded like a backend that decodes twice
        ("//admin//x/", "/admin/x/"),
        ("/a/./b", "/a/b"),
        ("/../../etc", "/etc"),
        ("\\admin", "/admin"),
        ("/ADMIN/Users", "/admin/users"),
        ("/admin;x", "/admin"),
        ("/admin;jsessionid=1/users;v=2", "/admin/users"),
        ("/public/..;/admin", "/admin"),  # Tomcat reads `..;` as `..`
        ("/admin%3bx", "/admin"),
        ("/100%25.pdf", "/100%.pdf"),  # an encoded '%' alone is not ambiguous
        # the short way (nothing to normalise but case) and the long way agree
        ("/Static/app.v2.js", "/static/app.v2.js"),
        ("/admin/", "/admin/"),
        ("/.well-known/x", "/.well-known/x"),
        ("admin", "/admin"),
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


@pytest.mark.parametrize(
    "path", ["/admin;x", "/ADMIN", "/Admin/x", "/aDmIn;a=b/x", "/public/..;/admin", "/;x/admin", "/%41DMIN/x"]
)
def test_case_and_path_parameter_spellings_of_a_protected_prefix_still_match_its_rule(path: str) -> None:
    assert matching_rule(RULES, "app.test", path) == ADMIN


@pytest.mark.parametrize(
    "path",
    [
        "/admin%2f..",
        "/admin%5c..%5cx",
        "/x%2F..%2Fadmin",
        "/public/%2e%2e/admin",
        "/public/%2E./admin",
        "/public/%252e%252e/admin",  # double-encoded dots
        "/x/%25252e%25252e/admin",  # triple
        "/%2525252561dmin",  # still encoded after three rounds of decoding
    ],
)
def test_encoded_separators_and_dots_are_refused_as_ambiguous(path: str) -> None:
    with pytest.raises(AmbiguousPath):
        normalise_path(path)
    with pytest.raises(AmbiguousPath):
        matching_rule(RULES, "app.test", path)


def test_a_host_no_rule_covers_is_never_refused_for_its_path() -> None:
    # GitLab-style `%2F` in a path is legitimate where no rule can be bypassed
    assert matching_rule((APP_BILLING,), "wiki.test", "/api/projects/group%2Fproject") is None
    assert matching_rule((), "app.test", "/admin%2f..") is None


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
        ("app.test", "/ADMIN;x", NO_MFA, StepUp(("mfa",))),
        ("app.test", "/admin%2f..", MFA_FRESH, AMBIGUOUS_PATH),
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
