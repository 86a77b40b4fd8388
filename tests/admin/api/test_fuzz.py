"""The admin API fuzzed from its own served OpenAPI document (schemathesis, in-process over ASGI) with a valid
Super Admin token: no 5xx, and every 4xx is a JSON body with a readable message."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from idp_bridge.admin.api_tokens import create_token
from idp_bridge.app import create_app
from idp_bridge.config.model import Config
from idp_bridge.store.sqlite.core import SQLiteStore
from tests.admin.api.api_harness import ALL_SCOPES
from tests.bridge_harness import make_config

EXAMPLES = 25


async def _seed(db: str) -> str:
    store = SQLiteStore(db)
    await store.open()
    try:
        await store.upsert_user(issuer="https://idp.test", subject="s1", provider_id="acme", email="a@example.com",
                                name="A", now=time.time())  # fmt: skip
        bearer, _ = await create_token(
            store, name="fuzz", scopes=frozenset(ALL_SCOPES), lifetime_seconds=3600, created_by="test", now=time.time()
        )
        return bearer
    finally:
        await store.close()


def four_xx_has_a_message(ctx: Any, response: Any, case: Any) -> bool | None:
    if 400 <= response.status_code < 500 and response.status_code != 405:
        body = response.json()
        assert isinstance(body.get("error"), str), body
        assert isinstance(body.get("message"), str) and body["message"], body
    return None


def test_admin_api_fuzz(tmp_path: Path, upstreams: dict[str, str], key_file: Path) -> None:
    config: Config = make_config(tmp_path, upstreams, key_file=key_file)
    bearer = asyncio.run(_seed(config.store.path))
    schema = schemathesis.openapi.from_asgi("/admin/api/openapi.json", create_app(config))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    statuses: set[int] = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {bearer}"})
            statuses.add(response.status_code)
            case.validate_response(response, checks=[not_a_server_error, four_xx_has_a_message])

        fuzz()
    assert 200 in statuses and 422 in statuses and 404 in statuses  # it really reached handlers and validation
