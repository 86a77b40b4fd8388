"""Session-bound CSRF tokens (idp_bridge/sessions/csrf.py)."""

from __future__ import annotations

from idp_bridge.sessions.csrf import csrf_token_matches, session_csrf_token

KEY = "k" * 40


def test_a_token_is_bound_to_the_key_the_session_and_the_purpose() -> None:
    token = session_csrf_token(KEY, "session-a", "admin-form")
    assert token == session_csrf_token(KEY, "session-a", "admin-form")
    others = {
        session_csrf_token(KEY, "session-b", "admin-form"),
        session_csrf_token(KEY, "session-a", "keepalive"),
        session_csrf_token("j" * 40, "session-a", "admin-form"),
    }
    assert token not in others and len(others) == 3


def test_matching() -> None:
    token = session_csrf_token(KEY, "session-a", "admin-form")
    assert csrf_token_matches(token, token)
    assert not csrf_token_matches(token, None)
    assert not csrf_token_matches(token, "")
    assert not csrf_token_matches(token, token[:-1] + ("0" if token[-1] != "0" else "1"))
    assert not csrf_token_matches(token, "é" + token[1:])  # non-ASCII never raises, never matches
