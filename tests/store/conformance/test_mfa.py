"""The MFAStore rules (idp_bridge/store/protocol/mfa.py), run against every backend in conftest.BACKENDS."""

from tests.store.conformance.mfa import MFAStoreConformance


class TestMFAStore(MFAStoreConformance):
    """Collects conformance/mfa.py; the `store` fixture gives one run per backend."""
