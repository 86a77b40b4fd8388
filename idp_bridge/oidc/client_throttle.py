"""Back-off after failed client authentication at /token, per claimed client_id and per IP, kept in the store so
that every worker (and every instance on one store) enforces the same delay."""

from __future__ import annotations

from collections.abc import Sequence

from idp_bridge.store.protocol.core import Store
from policies.mfa_attempts import AttemptRules, wait_seconds

# Five free failures (a portal whose secret was just rotated), then 1 s doubling to at most a minute: 40 wrong
# secrets take about half an hour instead of a moment. Never a lock-out: anyone may send a portal's client_id,
# and a lock would hand them a denial of service; the delay only slows guessing.
RULES = AttemptRules(max_failures=100, delay_after=5, base_delay_seconds=1, max_delay_seconds=60)
FORGET_AFTER_SECONDS = 3600.0
_MAX_KEY = 128  # a claimed client_id is attacker-chosen: the stored key stays short


def throttle_keys(client_id: str | None, ip: str | None) -> tuple[str, ...]:
    """The counters one /token request is judged by: the client_id it claims (known or not, so that the answer
    never tells which exist) and the address it came from."""
    keys = [f"client:{client_id[:_MAX_KEY]}"] if client_id else []
    if ip:
        keys.append(f"ip:{ip[:_MAX_KEY]}")
    return tuple(keys)


async def seconds_to_wait(store: Store, keys: Sequence[str], now: float) -> tuple[int, bool]:
    """(whole seconds until these keys may try again, whether any failure is on record)."""
    records = await store.get_auth_failures(keys, now) if keys else []
    wait = max((wait_seconds(RULES, r.failures, r.last_failure_at, now) for r in records), default=0)
    return wait, any(r.failures for r in records)


async def record_failure(store: Store, keys: Sequence[str], now: float) -> None:
    if keys:
        await store.record_auth_failure(keys, now, FORGET_AFTER_SECONDS)
