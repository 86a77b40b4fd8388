"""`idp-bridge mfa ...`: an admin's MFA commands on the store named by a config file (role, enforcement, method,
reset after a lost device, the delivery log). Every change is audited and signs the technician out everywhere: their
sessions end through the app's own machinery (portals get back-channel logouts before the command exits)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from idp_bridge.app import command_bridge
from idp_bridge.bridge import Bridge
from idp_bridge.cli.config_file import load_or_report
from idp_bridge.config.model import Config
from idp_bridge.mfa import admin
from idp_bridge.roles.effective import effective_role
from policies.roles import ROLES


def add_mfa_commands(sub: Any) -> None:
    mfa = sub.add_parser("mfa", help="admin: technicians' roles and MFA settings")
    mfa.add_argument("--config", required=True, help="TOML configuration file")
    actions = mfa.add_subparsers(dest="action", required=True)
    def command(name: str, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help)
        parser.add_argument("user", help="user id or email")
        return parser

    command("show", "a technician's role and MFA state")
    command("set-role", "set a technician's role").add_argument("role", choices=ROLES)
    enforce = command("enforce", "require MFA for a technician (they cannot turn it off)")
    enforce.add_argument("--off", action="store_true", help="lift the enforcement")
    method = command("set-method", "set a technician's method (and where codes go)")
    method.add_argument("method", choices=("totp", "email", "sms"))
    method.add_argument("--phone", help="mobile number for SMS codes, e.g. +15550100")
    method.add_argument("--email", help="address for email codes (default: the upstream's email)")
    command("reset", "lost device: the technician enrolls again at next sign-in")
    deliveries = actions.add_parser("deliveries", help="the email/SMS delivery log (never the codes)")
    deliveries.add_argument("user", nargs="?", help="user id or email")
    mfa.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    return asyncio.run(_in_bridge(args, config))


async def _in_bridge(args: argparse.Namespace, config: Config) -> int:
    async with command_bridge(config) as bridge:
        return await _act(args, bridge)


async def _act(args: argparse.Namespace, bridge: Bridge) -> int:
    store = bridge.store
    user_id: str | None = None
    if getattr(args, "user", None):
        found = await store.find_users(args.user)
        if len(found) != 1:
            print(f"idp-bridge mfa: {len(found)} users match {args.user!r}", file=sys.stderr)
            return 1
        user_id = found[0]
    if args.action == "deliveries":
        for d in await store.list_otp_deliveries(user_id, limit=50):
            print(f"{d.at:.0f} {d.user_id} {d.channel} {d.destination} {d.outcome} {d.detail or ''}".rstrip())
        return 0
    if user_id is None:  # argparse requires a user for every other action
        print("idp-bridge mfa: this action needs a user id", file=sys.stderr)
        return 2
    changes: dict[str, Any] = {}
    if args.action == "set-role":
        changes = {"role": args.role}
    elif args.action == "enforce":
        changes = {"enforced": not args.off}
    elif args.action == "set-method":
        changes = {"method": args.method, **({"phone": args.phone} if args.phone else {}),
                   **({"email": args.email} if args.email else {})}  # fmt: skip
    if args.action == "reset":
        await admin.reset_mfa(bridge, user_id)
    elif changes:
        await admin.save_settings(bridge, user_id, **changes)
    if args.action != "show":
        await bridge.auditor.record(
            f"mfa.admin.{args.action}", "success", user_id=user_id, actor="cli", **changes
        )
    settings = await store.get_mfa_settings(user_id)
    totp = await store.get_totp(user_id)
    print(
        f"user {user_id}: role={settings.role} enforced={settings.enforced} choice={settings.choice} "
        f"method={settings.method or 'default'} phone={settings.phone or '-'} generation={settings.generation} "
        f"authenticator={'active' if totp and totp.secret else 'none'} "
        f"recovery_codes={await store.count_recovery_codes(user_id)} "
        f"mapped_role={(await store.get_mapped_role(user_id)).mapped_role or '-'} "
        f"effective_role={await effective_role(store, user_id, settings)}"
    )
    return 0
