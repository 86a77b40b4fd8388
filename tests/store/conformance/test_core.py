"""The core Store rules (idp_bridge/store/protocol/core.py), run against every backend in conftest.BACKENDS."""

from tests.store.conformance.core import StoreConformance


class TestStore(StoreConformance):
    """Collects conformance/core.py; the `store` fixture gives one run per backend."""
