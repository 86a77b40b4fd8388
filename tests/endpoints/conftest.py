"""The session fixtures (tests/session_fixtures.py): an injected clock, a real back-channel receiver, a bridge."""

from tests.session_fixtures import clock, make_bridge, receiver  # noqa: F401  (fixtures)
