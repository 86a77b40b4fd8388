"""The running bridge's shared parts (config, store, clock, providers, keys), built once by the app factory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from idp_bridge.audit.recorder import Auditor
from idp_bridge.clock import Clock
from idp_bridge.config.model import Config
from idp_bridge.oidc.portals import PortalRegistry
from idp_bridge.oidc.signing_keys import SigningKeys
from idp_bridge.policy.source import PolicySource
from idp_bridge.sessions.cookie import SessionCookie, cookie_name
from idp_bridge.sessions.runtime import SessionRuntime
from idp_bridge.store.protocol.core import Store
from providers.base import Provider


@dataclass(frozen=True)
class Bridge:
    config: Config
    store: Store
    clock: Clock
    providers: Mapping[str, Provider]
    keys: SigningKeys
    portals: PortalRegistry
    policy: PolicySource  # the effective allowed-provider policy: `await bridge.policy.rules()`
    auditor: Auditor
    session_cookie: SessionCookie
    sessions: SessionRuntime

    @property
    def browser_cookie_name(self) -> str:
        """The cookie binding an upstream login to the browser that started it (endpoints/upstream_start.py)."""
        return cookie_name("idp_bridge_browser", secure=not self.config.server.dev_mode)

    @property
    def issuer(self) -> str:
        return self.config.server.issuer

    @property
    def max_param(self) -> int:
        return self.config.server.max_parameter_length

    def callback_url(self, provider_id: str) -> str:
        # A distinct redirect URI per upstream: the mix-up defence of RFC 9700 §4.4.
        return f"{self.issuer}/callback/{provider_id}"
