"""`idp-bridge keys --config FILE list|add|activate KID|retire KID`: rotating the bridge's signing key without a
token that some instance or portal cannot verify (the states and rules: oidc.key_file)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from idp_bridge.cli.config_file import load_or_report
from idp_bridge.config.model import Config
from idp_bridge.oidc.key_file import (
    SigningKeyError,
    activate,
    add_key,
    describe,
    locked,
    read_key_set,
    remove,
    write_key_set,
)
from idp_bridge.oidc.signing_keys import JWKS_MAX_AGE_SECONDS

LOGOUT_TOKEN_SECONDS = 120
"""Back-channel logout tokens are short-lived; an id_token lives [tokens] id_token_lifetime_seconds."""


def publish_seconds(config: Config) -> int:
    """How long a new key must be published before it may sign: every instance reloads the file, then every
    portal's cached JWKS expires."""
    return config.signing.reload_seconds + JWKS_MAX_AGE_SECONDS


def keep_seconds(config: Config) -> int:
    """How long a retired key stays published: its last tokens expire, and instances and caches catch up."""
    lifetime = max(config.tokens.id_token_lifetime_seconds, LOGOUT_TOKEN_SECONDS)
    return lifetime + config.signing.reload_seconds + JWKS_MAX_AGE_SECONDS


def _when(seconds: float | None) -> str:
    return "-" if seconds is None else datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_key_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="rotate the bridge's signing key (list, add, activate, retire)")
    keys.add_argument("--config", required=True, help="TOML configuration file")
    steps = keys.add_subparsers(dest="step", required=True)
    steps.add_parser("list", help="each key's state: next (published), active (signs), retired (published)")
    steps.add_parser("add", help="add a key, published but not signing until activated")
    activate_ = steps.add_parser("activate", help="let a published key sign; the active one retires")
    activate_.add_argument("kid")
    activate_.add_argument("--force", action="store_true", help="do not wait until every cache has seen the key")
    retire = steps.add_parser("retire", help="remove a retired key from the file once its tokens have expired")
    retire.add_argument("kid")
    retire.add_argument("--force", action="store_true", help="do not wait until its tokens have expired")
    keys.set_defaults(func=run_keys)


def run_keys(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    path, algorithm, now = config.signing.key_file, config.signing.algorithm, time.time()
    try:
        with locked(path):
            key_set = read_key_set(path)
            if args.step == "list":
                print(f"{'KID':<18} {'ALG':<6} {'STATE':<8} {'ADDED':<21} RETIRED")
                for info in describe(key_set, algorithm):
                    print(f"{info.kid:<18} {info.algorithm:<6} {info.state:<8} {_when(info.added_at):<21} "
                          f"{_when(info.retired_at)}")  # fmt: skip
                return 0
            if args.step == "add":
                key_set, kid = add_key(key_set, algorithm, now)
                write_key_set(path, key_set)
                print(f"added {kid}: published, not signing. Activate it after {_when(now + publish_seconds(config))} "
                      f"with: idp-bridge keys --config {args.config} activate {kid}")  # fmt: skip
                return 0
            if args.step == "activate":
                key_set = activate(key_set, algorithm, args.kid, now, publish_seconds(config), force=args.force)
                write_key_set(path, key_set)
                reload = config.signing.reload_seconds
                print(f"{args.kid} signs from each instance's next reload (within {reload} s); the previous key "
                      f"stays published: retire it after {_when(now + keep_seconds(config))}")  # fmt: skip
                return 0
            key_set = remove(key_set, algorithm, args.kid, now, keep_seconds(config), force=args.force)
            write_key_set(path, key_set)
            print(f"{args.kid} removed: no longer published")
            return 0
    except SigningKeyError as exc:
        print(f"idp-bridge keys: {exc}", file=sys.stderr)
        return 1
