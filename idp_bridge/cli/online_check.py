"""`check-config --online`: what the running bridge would find at each upstream (discovery, JWKS), in plain words."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import httpx2

from idp_bridge.clock import SystemClock
from idp_bridge.config.model import Config
from idp_bridge.wiring import build_providers


async def online_problems(config: Config, *, http: httpx2.AsyncClient | None = None) -> list[str]:
    """One line per problem, providers in configuration order; [] when every upstream answers as it should."""
    async with (
        httpx2.AsyncClient(timeout=10.0, follow_redirects=False)
        if http is None
        else contextlib.nullcontext(http) as client
    ):
        providers = build_providers(config, client, SystemClock())
        checks: list[Awaitable[list[str]]] = []
        for pid, provider in providers.items():
            check: Callable[[], Awaitable[list[str]]] | None = getattr(provider, "check_online", None)
            checks.append(check() if check is not None else _no_check(pid))
        results = await asyncio.gather(*checks)
    return [line for lines in results for line in lines]


async def _no_check(provider_id: str) -> list[str]:
    return []
