"""Fixtures for the admin console tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp_bridge.config.model import Config
from tests.admin.console.console_harness import Console, console


@pytest.fixture
def admin_console(config: Config) -> Iterator[Console]:
    with console(config) as c:
        yield c
