"""The AdminStore rules (idp_bridge/store/protocol/admin.py), run against every backend in conftest.BACKENDS."""

from tests.store.conformance.admin import AdminStoreConformance


class TestAdminStore(AdminStoreConformance):
    """Collects conformance/admin.py; the `store` fixture gives one run per backend."""
