"""Tests for idp_bridge/roles/effective.py: the effective role read from a real store (local combined with mapped)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from idp_bridge.roles.effective import effective_role, technician_mfa
from idp_bridge.store.records.admin import MappedRole
from idp_bridge.store.records.mfa import TechnicianMFASettings
from idp_bridge.store.sqlite.core import SQLiteStore
from policies.mfa_requirement import TechnicianMFA


@pytest.fixture
async def store() -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(":memory:")
    await store.open()
    yield store
    await store.close()


# (local role or None: no technician record; mapped role or None: none recorded; effective)
CASES: list[tuple[str | None, str | None, str]] = [
    (None, None, "technician"),
    ("technician", None, "technician"),
    (None, "super_admin", "super_admin"),
    ("technician", "admin", "admin"),
    ("auditor", "super_admin", "super_admin"),
    ("admin", "auditor", "admin"),  # a mapping never takes a local role away
    ("super_admin", "technician", "super_admin"),
    ("auditor", "technician", "auditor"),
]


@pytest.mark.parametrize(("local", "mapped", "expected"), CASES)
async def test_effective_role(store: SQLiteStore, local: str | None, mapped: str | None, expected: str) -> None:
    if local is not None:
        await store.save_mfa_settings(TechnicianMFASettings("u-1", role=local))
    if mapped is not None:
        await store.save_mapped_role(MappedRole("u-1", mapped, 1.0))
    assert await effective_role(store, "u-1") == expected
    settings = await store.get_mfa_settings("u-1")
    assert await effective_role(store, "u-1", settings) == expected


async def test_a_cleared_mapping_falls_back_to_the_local_role(store: SQLiteStore) -> None:
    await store.save_mfa_settings(TechnicianMFASettings("u-1", role="auditor"))
    await store.save_mapped_role(MappedRole("u-1", "super_admin", 1.0))
    assert await effective_role(store, "u-1") == "super_admin"
    await store.save_mapped_role(MappedRole("u-1", None, 2.0))
    assert await effective_role(store, "u-1") == "auditor"


async def test_technician_mfa_carries_the_effective_role(store: SQLiteStore) -> None:
    settings = TechnicianMFASettings("u-1", role="technician", enforced=True, choice="off")
    await store.save_mfa_settings(settings)
    await store.save_mapped_role(MappedRole("u-1", "admin", 1.0))
    assert await technician_mfa(store, settings) == TechnicianMFA(role="admin", enforced=True, choice="off")
