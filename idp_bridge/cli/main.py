"""The `idp-bridge` command: serve, demo and check-config, thin over the app factory."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from idp_bridge.config.loader import ConfigError, check_config, load_config
from idp_bridge.oidc.signing_keys import SigningKeyError
from idp_bridge.store.protocol.core import Store, StoreError


async def _check_store(store: Store) -> None:
    """Open the store once before serving: a read-only file, a full disk or a bad path is one readable line now
    rather than a traceback from the server's startup."""
    await store.open()
    await store.close()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from idp_bridge.app import create_app

    try:
        config = load_config(args.config)
        app = create_app(config)
        asyncio.run(_check_store(app.state.bridge.store))
    except ConfigError as exc:
        print(f"{args.config}: configuration is invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except SigningKeyError as exc:
        print(f"idp-bridge: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"idp-bridge: cannot open the store ({exc})", file=sys.stderr)
        return 2
    from idp_bridge.observability.log_setup import configure_logging

    configure_logging(config.logging)
    host = args.host or config.server.host
    port = args.port or config.server.port
    # uvicorn's access log halves throughput and its proxy headers trust any peer by default: the bridge's own
    # access log and trusted-proxy handling replace both (observability/access_log.py); log_config=None keeps
    # uvicorn's lines on the bridge's handler (text or JSON, with the request id).
    if args.workers > 1:
        from idp_bridge.asgi import CONFIG_ENV

        # Each worker builds its own app from the same file; the SQLite store (WAL) is safe across processes.
        os.environ[CONFIG_ENV] = os.path.abspath(args.config)
        uvicorn.run(
            "idp_bridge.asgi:app_from_environment", factory=True, workers=args.workers, host=host, port=port,
            access_log=False, log_config=None, proxy_headers=False,
        )  # fmt: skip
        return 0
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=None, proxy_headers=False)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from idp_bridge.demo.runner import run_demo

    try:
        run_demo(host=args.host, port=args.port, data_dir=args.data_dir)
    except RuntimeError as exc:
        print(f"idp-bridge demo: {exc}", file=sys.stderr)
        return 1
    return 0


def _check_config(args: argparse.Namespace) -> int:
    problems = check_config(args.config)
    if not problems and args.online:
        import asyncio

        from idp_bridge.cli.online_check import online_problems

        problems = asyncio.run(online_problems(load_config(args.config)))
    if problems:
        for problem in problems:
            print(problem)
        return 2
    print(f"{args.config}: OK" + (" (upstream providers reachable and consistent)" if args.online else ""))
    from idp_bridge.cli.admin import emergency_warning

    warning = emergency_warning(load_config(args.config))
    if warning:
        print(f"warning: {warning}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idp-bridge", description="OIDC identity-provider bridge")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the bridge")
    serve.add_argument("--config", required=True, help="TOML configuration file")
    serve.add_argument("--host", default=None, help="override server.host")
    serve.add_argument("--port", type=int, default=None, help="override server.port")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(func=_serve)
    demo = sub.add_parser("demo", help="run the bridge with a demo upstream provider and a demo portal")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="bridge port; the demo uses the next three too")
    demo.add_argument("--data-dir", default="demo-data", help="where the demo keeps its database and keys")
    demo.set_defaults(func=_demo)
    check = sub.add_parser("check-config", help="validate a configuration file offline")
    check.add_argument("config")
    check.add_argument("--online", action="store_true", help="also fetch each provider's discovery document and JWKS")
    check.set_defaults(func=_check_config)
    from idp_bridge.cli.mfa import add_mfa_commands

    add_mfa_commands(sub)
    from idp_bridge.cli.admin import add_admin_commands

    add_admin_commands(sub)
    from idp_bridge.cli.keys import add_key_commands

    add_key_commands(sub)
    from idp_bridge.cli.status import add_status_command

    add_status_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One line per upstream HTTP call is noise; failures surface through the bridge's own errors and audit.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
