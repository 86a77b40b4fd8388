"""`idp-bridge demo`: two real upstream OIDC providers, the bridge and a demo portal, in one command."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
from pathlib import Path

import uvicorn
from pydantic import SecretStr

from idp_bridge.app import create_app
from idp_bridge.config.model import (
    Config,
    OIDCProviderConfig,
    PolicyConfig,
    PortalConfig,
    ServerConfig,
    SigningConfig,
    StoreConfig,
)
from idp_bridge.config.role_mapping_model import RoleMapping
from idp_bridge.demo.portal import create_demo_portal
from idp_bridge.demo.upstream import DEMO_ADMIN_GROUP, DEMO_USERS, run_demo_upstream

DEMO_PORTAL_ID = "demo-portal"


def _persistent_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


def demo_config(
    *, issuer: str, portal_url: str, upstreams: dict[str, str], data_dir: Path, secret_key: str,
    portal_secret: str,
) -> Config:  # fmt: skip
    """The demo's configuration: dev mode (http on loopback), SQLite in `data_dir`, one portal, MFA required, and
    the upstream group "security-team" (bob's) mapped to Super Admin on both upstreams.

    Bob's upstream evidence is trusted by the generic OIDC defaults: his id_token says `amr: ["pwd","mfa"]`, and the
    upstream (authlib under oidc-provider-mock) stamps every id_token with `auth_time` = the moment it was issued,
    so the evidence is always fresh; no `accept_missing_auth_time` is needed."""
    names = {"contoso": "Contoso SSO (demo)", "fabrikam": "Fabrikam SSO (demo)"}
    return Config(
        server=ServerConfig(issuer=issuer, dev_mode=True, secret_key=SecretStr(secret_key)),
        store=StoreConfig(path=str(data_dir / "bridge.sqlite3")),
        signing=SigningConfig(key_file=str(data_dir / "signing-keys.json")),
        policy=PolicyConfig(
            allowed_providers=tuple(upstreams),
            role_mappings=tuple(
                RoleMapping(provider=pid, group=DEMO_ADMIN_GROUP, role="super_admin") for pid in upstreams
            ),
        ),
        providers={
            pid: OIDCProviderConfig(
                kind="oidc",
                display_name=names.get(pid, pid),
                issuer=upstream_issuer,
                client_id="idp-bridge",
                client_secret=SecretStr("demo-upstream-secret"),
            )
            for pid, upstream_issuer in upstreams.items()
        },
        portals={
            DEMO_PORTAL_ID: PortalConfig(
                display_name="Demo portal",
                client_secret=SecretStr(portal_secret),
                redirect_uris=(f"{portal_url}/callback",),
                backchannel_logout_uri=f"{portal_url}/backchannel-logout",
                post_logout_redirect_uris=(f"{portal_url}/",),
            )
        },
    )


async def _serve(servers: list[uvicorn.Server]) -> None:
    await asyncio.gather(*(server.serve() for server in servers))


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def run_demo(*, host: str, port: int, data_dir: str) -> None:
    # uvicorn re-raises SIGTERM after its own shutdown; turned into SystemExit, it unwinds the ExitStack below
    # so the upstream processes are stopped too instead of being orphaned.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - mapping, not binding
    issuer = f"http://{public_host}:{port}"
    portal_url = f"http://{public_host}:{port + 1}"
    secret_key = _persistent_secret(data / "secret-key")
    portal_secret = _persistent_secret(data / "portal-secret")
    with contextlib.ExitStack() as stack:
        upstreams = {
            "contoso": stack.enter_context(run_demo_upstream(port + 2)),
            "fabrikam": stack.enter_context(run_demo_upstream(port + 3)),
        }
        config = demo_config(
            issuer=issuer, portal_url=portal_url, upstreams=upstreams, data_dir=data,
            secret_key=secret_key, portal_secret=portal_secret,
        )  # fmt: skip
        bridge = create_app(config)
        portal = create_demo_portal(
            bridge_issuer=issuer,
            client_id=DEMO_PORTAL_ID,
            client_secret=portal_secret,
            base_url=portal_url,
            secret_key=secret_key,
        )
        users = ", ".join(u.sub for u in DEMO_USERS)
        print(
            f"\n  idp-bridge demo is running.\n\n"
            f"  Open the demo portal:  {portal_url}/\n"
            f"  Bridge (OIDC issuer):  {issuer}/.well-known/openid-configuration\n"
            f"  Demo upstreams:        {', '.join(upstreams.values())} (users: {users})\n"
            f"  Roles:                 bob's upstream group {DEMO_ADMIN_GROUP!r} makes him a Super Admin (policy\n"
            f"                         role mapping); alice and carol are technicians\n"
            f"  Step-up MFA:           bob's upstream login proves MFA (no local step); alice sets up an\n"
            f"                         authenticator app at her first sign-in (QR code), then enters its codes\n"
            f"  Admin console:         {issuer}/admin (sign in as bob: Super Admin through the demo policy's\n"
            f"                         role mapping of his upstream group 'security-team')\n\n"
            f"  Press Ctrl+C to stop.\n",
            flush=True,
        )
        servers = [
            uvicorn.Server(uvicorn.Config(bridge, host=host, port=port, access_log=False, log_level="warning")),
            uvicorn.Server(uvicorn.Config(portal, host=host, port=port + 1, access_log=False, log_level="warning")),
        ]
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(servers))
