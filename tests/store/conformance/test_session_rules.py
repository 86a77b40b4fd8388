"""The session-rules store rules (idp_bridge/store/protocol/session_rules.py), run against every backend in BACKENDS."""

from tests.store.conformance.session_rules import SessionRulesConformance


class TestSessionRulesStore(SessionRulesConformance):
    """Collects conformance/session_rules.py; the `store` fixture gives one run per backend."""
