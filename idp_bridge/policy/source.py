"""The effective allowed-provider policy of this worker, read from the store and refreshed cheaply.

Every instance sharing the store applies a saved policy within `REFRESH_SECONDS`: a login asks `rules()` (and
`document()` for the role mappings), which at most once per `REFRESH_SECONDS` (by the injected clock) reads the
current version number (one indexed `max(version)` query) and reloads the document only when that number changed.
A save on this worker calls `invalidate()`, so it applies here at once. With no version in the store, the config
file's policy is version 1.
"""

from __future__ import annotations

import json
import logging

from idp_bridge.clock import Clock
from idp_bridge.config.model import Config
from idp_bridge.policy.document import PolicyDocument, PolicyInvalid, from_config, parse, to_rules
from idp_bridge.store.protocol.core import Store
from policies.allow_list import AllowListRules

REFRESH_SECONDS = 1.0
_log = logging.getLogger("idp_bridge.admin.policy")


class PolicySource:
    def __init__(self, store: Store, config: Config, clock: Clock) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._initial = from_config(config)
        self._document = self._initial
        self._rules = to_rules(self._initial, config)
        self._version = 0
        self._checked_at: float | None = None

    @property
    def initial(self) -> PolicyDocument:
        """The config file's policy: version 1 when the store holds none."""
        return self._initial

    def invalidate(self) -> None:
        self._checked_at = None

    async def rules(self) -> AllowListRules:
        """The rules to enforce now (possibly up to REFRESH_SECONDS old on another worker's save)."""
        await self._refresh()
        return self._rules

    async def document(self) -> PolicyDocument:
        """The document in force now, as cheap and as fresh as `rules()` (the login path reads its role mappings);
        `current()` is the store's latest version, read and validated on every call, for editing."""
        await self._refresh()
        return self._document

    async def _refresh(self) -> None:
        now = self._clock.now()
        if self._checked_at is None or now - self._checked_at >= REFRESH_SECONDS or now < self._checked_at:
            self._checked_at = now
            number = await self._store.policy_version_number()
            if number != self._version:
                await self._load(number)

    async def current(self) -> tuple[int, PolicyDocument]:
        """The current version number (1 for the config's policy) and document, read from the store now."""
        stored = await self._store.get_policy_version()
        if stored is None:
            return 1, self._initial
        return stored.version, self._decode(stored.version, stored.document) or self._initial

    async def _load(self, number: int) -> None:
        stored = await self._store.get_policy_version(number) if number else None
        document = self._initial if stored is None else self._decode(number, stored.document)
        if document is None:
            return  # keep enforcing the last good version; the problem was logged
        self._document, self._rules, self._version = document, to_rules(document, self._config), number

    def _decode(self, number: int, text: str) -> PolicyDocument | None:
        try:
            return parse(json.loads(text), self._config)
        except (PolicyInvalid, ValueError) as exc:
            # E.g. the config file dropped a provider that the stored policy still names.
            _log.error("stored policy version %d does not fit this config: %s", number, exc)
            return None
