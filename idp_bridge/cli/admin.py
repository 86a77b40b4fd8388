"""`idp-bridge admin token ...` and `idp-bridge policy export|apply`: the security team's commands on the store.

`policy apply FILE` (JSON, or TOML when the name ends in .toml) shows the diff and who would lose access, asks for
confirmation (`--yes` for automation) and saves a new version, exactly as the admin API does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2

from idp_bridge.admin import policy_service
from idp_bridge.admin.api_tokens import TokenRequestInvalid, create_token, parse_lifetime
from idp_bridge.bridge import Bridge
from idp_bridge.cli.config_file import load_or_report
from idp_bridge.config.model import Config
from idp_bridge.policy.document import PolicyInvalid, canonical, parse
from idp_bridge.store.sqlite.core import SQLiteStore
from policies.admin_authorization import SCOPES


def add_admin_commands(sub: Any) -> None:
    admin = sub.add_parser("admin", help="admin API tokens")
    admin.add_argument("--config", required=True, help="TOML configuration file")
    things = admin.add_subparsers(dest="thing", required=True)
    token = things.add_parser("token", help="scoped, expiring admin API tokens").add_subparsers(
        dest="action", required=True
    )
    create = token.add_parser("create", help="create a token; its secret is printed once")
    create.add_argument("--scope", action="append", required=True, choices=sorted(SCOPES), help="repeatable")
    create.add_argument("--expires", required=True, help="lifetime: 90d, 12h, 30m (at most 366d)")
    create.add_argument("--name", default="automation", help="what the token is for")
    token.add_parser("list", help="tokens (never their secrets)")
    token.add_parser("revoke", help="revoke a token").add_argument("token_id")
    admin.set_defaults(func=_run_admin)

    policy = sub.add_parser("policy", help="the allowed-provider policy, for teams that keep it in git")
    policy.add_argument("--config", required=True, help="TOML configuration file")
    actions = policy.add_subparsers(dest="action", required=True)
    actions.add_parser("export", help="print the current policy as JSON")
    apply = actions.add_parser("apply", help="save FILE as the new policy version (diff, then confirmation)")
    apply.add_argument("file", help="policy as JSON, or TOML when the name ends in .toml")
    apply.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    apply.add_argument("--comment", default="applied from a file", help="kept with the version")
    apply.add_argument("--author", default="cli", help="recorded as the version's author")
    policy.set_defaults(func=_run_policy)


@contextlib.asynccontextmanager
async def offline_bridge(config: Config) -> AsyncIterator[Bridge]:
    """The bridge's shared parts on its store, without serving: for commands that change what it enforces."""
    from idp_bridge.app import create_app

    store = SQLiteStore(config.store.path, config.store.busy_timeout_ms)
    async with httpx2.AsyncClient() as http:
        app = create_app(config, store=store, http=http)
        await store.open()
        try:
            yield app.state.bridge
        finally:
            await store.close()


def _run_admin(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    return 2 if config is None else asyncio.run(_admin(args, config))


async def _admin(args: argparse.Namespace, config: Config) -> int:
    async with offline_bridge(config) as bridge:
        now = bridge.clock.now()
        if args.action == "create":
            try:
                bearer, record = await create_token(
                    bridge.store, name=args.name, scopes=frozenset(args.scope),
                    lifetime_seconds=parse_lifetime(args.expires), created_by="cli", now=now,
                )  # fmt: skip
            except TokenRequestInvalid as exc:
                print(f"idp-bridge admin token create: {exc}", file=sys.stderr)
                return 2
            await bridge.auditor.record("admin.token.created", "success", actor="cli", token_id=record.id,
                                        scopes=list(record.scopes), expires_at=record.expires_at)  # fmt: skip
            print(bearer)
            return 0
        if args.action == "revoke":
            if not await bridge.store.revoke_api_token(args.token_id, now):
                print(f"idp-bridge admin token revoke: no live token {args.token_id!r}", file=sys.stderr)
                return 1
            await bridge.auditor.record("admin.token.revoked", "success", actor="cli", token_id=args.token_id)
            return 0
        for t in await bridge.store.list_api_tokens():
            state = "revoked" if t.revoked_at else ("expired" if now >= t.expires_at else "live")
            print(f"{t.id} {state} {t.name!r} scopes={','.join(t.scopes)} expires_at={t.expires_at:.0f}")
        return 0


def _run_policy(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    return 2 if config is None else asyncio.run(_policy(args, config))


def _read_document(path: str) -> object:
    text = Path(path).read_text(encoding="utf-8")
    return tomllib.loads(text) if path.endswith(".toml") else json.loads(text)


async def _policy(args: argparse.Namespace, config: Config) -> int:
    async with offline_bridge(config) as bridge:
        version, current = await bridge.policy.current()
        if args.action == "export":
            sys.stdout.write(canonical(current))
            return 0
        try:
            document = parse(_read_document(args.file), config)
        except (OSError, ValueError) as exc:  # PolicyInvalid, JSON and TOML errors are ValueErrors
            problems = exc.problems if isinstance(exc, PolicyInvalid) else [str(exc)]
            print(f"{args.file}: the policy is invalid:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 2
        preview = await policy_service.preview(bridge, document)
        if not preview.diff:
            print(f"no change: the policy is already as in {args.file} (version {version})")
            return 0
        print(preview.diff, end="")
        for s in preview.lost.sessions:
            print(f"would end session {s['session_id']} of user {s['user_id']} (provider {s['provider_id']}: "
                  f"{s['reason']})")  # fmt: skip
        for u in preview.lost.users:
            print(f"would lose access: {u['email'] or u['user_id']} to {u['portal']} (provider {u['provider_id']})")
        if not args.yes:
            if not sys.stdin.isatty():
                print("refusing to apply without confirmation: pass --yes", file=sys.stderr)
                return 1
            if input(f"apply as version {version + 1}? [y/N] ").strip().lower() not in ("y", "yes"):
                print("not applied")
                return 1
        try:
            saved = await policy_service.save(
                bridge, document, author=args.author, comment=args.comment, base_version=version
            )
        except (policy_service.PolicyConflict, policy_service.PolicyUnchanged) as exc:
            print(f"idp-bridge policy apply: {exc}", file=sys.stderr)
            return 1
        print(f"saved policy version {saved.version}")
        return 0



def emergency_warning(config: Config) -> str | None:
    """The emergency-access warning for check-config, when the store already exists (never creates it)."""
    from idp_bridge.admin.emergency import check_emergency_access

    if config.store.path != ":memory:" and not Path(config.store.path).exists():
        return None

    async def check() -> str | None:
        store = SQLiteStore(config.store.path, config.store.busy_timeout_ms)
        await store.open()
        try:
            return (await check_emergency_access(store)).warning
        finally:
            await store.close()

    return asyncio.run(check())
