"""Query strings in log lines: codes, state, hints, tokens and secrets never shown, other parameters kept."""

from __future__ import annotations

import pytest

from idp_bridge.observability.query_redaction import REDACTED, redacted_query


@pytest.mark.parametrize(
    "name",
    ["code", "state", "id_token_hint", "login_hint", "token", "client_secret", "refresh_token", "code_verifier",
     "access_token", "api_key", "password", "nonce", "logout_token"],
)  # fmt: skip
def test_sensitive_parameters_are_redacted(name: str) -> None:
    assert redacted_query(f"{name}=s3cr3t-VALUE&client_id=console".encode()) == f"{name}={REDACTED}&client_id=console"


def test_ordinary_parameters_are_kept_and_the_line_is_bounded() -> None:
    assert redacted_query(b"client_id=console&scope=openid+email") == "client_id=console&scope=openid%20email"
    assert redacted_query(b"") == ""
    assert len(redacted_query(b"x=" + b"a" * 5000)) <= 515
