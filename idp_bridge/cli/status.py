"""`idp-bridge status --config FILE`: one screen for an operator: the store, the policy in force, live sessions,
technicians and their authenticators, the emergency-access check and the signing keys with their ages."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass

from idp_bridge.admin.emergency import EmergencyAccess, check_emergency_access
from idp_bridge.app import command_bridge
from idp_bridge.cli.config_file import load_or_report
from idp_bridge.config.model import Config
from idp_bridge.oidc.key_file import KeyInfo, SigningKeyError, describe, read_key_set
from idp_bridge.store.protocol.core import Store, StoreError

LIVE_SESSION_LIMIT = 500
"""The store lists at most this many live sessions at once; more are shown as "500 or more"."""
USER_PAGE = 500
MAX_USERS = 20_000
"""Technicians counted one page at a time, up to this many (a status screen, not a report)."""


@dataclass(frozen=True)
class Status:
    store: str
    policy_version: int
    live_sessions: int
    technicians: int
    enrolled: int
    emergency: EmergencyAccess
    keys: list[KeyInfo]


def add_status_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = sub.add_parser("status", help="the store, policy, sessions, technicians and signing keys at a glance")
    status.add_argument("--config", required=True, help="TOML configuration file")
    status.set_defaults(func=run_status)


async def _technicians(store: Store) -> tuple[int, int]:
    """(technicians known, of them with a confirmed authenticator), up to MAX_USERS."""
    known = enrolled = 0
    while known < MAX_USERS:
        page = await store.search_users(None, USER_PAGE, offset=known)
        for user in page:
            totp = await store.get_totp(user.id)
            enrolled += totp is not None and totp.secret is not None
        known += len(page)
        if len(page) < USER_PAGE:
            break
    return known, enrolled


async def gather(config: Config) -> Status:
    async with command_bridge(config) as bridge:
        store, now = bridge.store, bridge.clock.now()
        technicians, enrolled = await _technicians(store)
        return Status(
            store=f"{config.store.backend} {config.store.path}: reachable",
            policy_version=await store.policy_version_number(),
            live_sessions=len(await store.list_live_sessions(now, limit=LIVE_SESSION_LIMIT)),
            technicians=technicians,
            enrolled=enrolled,
            emergency=await check_emergency_access(store),
            keys=describe(read_key_set(config.signing.key_file), config.signing.algorithm),
        )


def _age(since: float | None, now: float) -> str:
    if since is None:
        return "age unknown (from before rotation states)"
    days, rest = divmod(int(now - since), 86400)
    return f"{days} d {rest // 3600} h"


def render(status: Status, now: float) -> list[str]:
    sessions = (
        f"{status.live_sessions}" if status.live_sessions < LIVE_SESSION_LIMIT else f"{LIVE_SESSION_LIMIT} or more"
    )
    lines = [
        f"store:            {status.store}",
        f"policy version:   {status.policy_version}" + (" (the config file's)" if status.policy_version <= 1 else ""),
        f"live sessions:    {sessions}",
        f"technicians:      {status.technicians}, {status.enrolled} with an authenticator app",
        f"super admins:     {status.emergency.super_admins}, {status.emergency.enrolled} with MFA enrolled",
    ]
    if status.emergency.warning:
        lines.append(f"warning:          {status.emergency.warning}")
    for key in status.keys:
        lines.append(f"signing key:      {key.kid} {key.algorithm} {key.state}, added {_age(key.added_at, now)} ago")
    return lines


def run_status(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    try:
        status = asyncio.run(gather(config))
    except StoreError as exc:
        print(f"store:            {config.store.backend} {config.store.path}: NOT reachable ({exc})")
        return 1
    except SigningKeyError as exc:
        print(f"idp-bridge status: {exc}", file=sys.stderr)
        return 1
    print("\n".join(render(status, time.time())))
    return 0 if status.emergency.ok else 1
