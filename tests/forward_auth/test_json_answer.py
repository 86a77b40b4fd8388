"""Tests for idp_bridge/forward_auth/json_answer.py: who gets JSON instead of a redirect, and the body."""

from __future__ import annotations

import json

import pytest

from idp_bridge.forward_auth.json_answer import LOGIN_REQUIRED, STEP_UP_REQUIRED, body, wants_json


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("", False),
        ("*/*", False),  # fetch() and curl by default: keep the redirect
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),  # a browser navigation
        ("application/json", True),
        ("Application/JSON", True),
        ("application/json, text/plain, */*", True),  # axios
        ("application/vnd.api+json", True),
        ("application/json;q=0", False),
        ("application/json;q=abc", False),
        ("text/html, application/json;q=0.5", False),
        ("application/json, text/html;q=0.9", True),
        ("text/html;q=0.5, application/json", True),
        ("application/json-seq-not-a-type-we-know", False),
    ],
)
def test_wants_json(accept: str | None, expected: bool) -> None:
    assert wants_json(accept) is expected


def test_body_names_the_error_and_where_to_sign_in() -> None:
    for error in (LOGIN_REQUIRED, STEP_UP_REQUIRED):
        parsed = json.loads(body(error, "https://sso.test/forward-auth/sign-in?rd=x"))
        assert parsed["error"] == error and parsed["error_description"]
        assert parsed["sign_in_url"] == "https://sso.test/forward-auth/sign-in?rd=x"
