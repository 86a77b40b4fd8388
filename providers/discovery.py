"""OpenID Provider metadata: fetched from `{issuer}/.well-known/openid-configuration`, checked and cached."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2

from providers.base import Clock, UpstreamUnavailable
from providers.upstream_http import fetch_json, sanitize

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 3600.0
RETRY_AFTER_FAILURE_SECONDS = 60.0
_REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of a discovery document the bridge relies on; `raw` keeps the whole document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    iss_parameter_supported: bool
    signing_algorithms: tuple[str, ...]
    raw: Mapping[str, Any]


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def parse_metadata(document: Mapping[str, Any], issuer: str, url: str) -> ProviderMetadata:
    """Check a discovery document against the configured issuer; `UpstreamUnavailable` when unusable."""
    got = document.get("issuer")
    if got != issuer:
        raise UpstreamUnavailable(
            f"discovery document at {url} names issuer '{sanitize(got)}', "
            f"which does not match the configured issuer '{issuer}'"
        )
    endpoints: dict[str, str] = {}
    for name in _REQUIRED_ENDPOINTS:
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise UpstreamUnavailable(f"discovery document at {url} has no '{name}'")
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise UpstreamUnavailable(
                f"discovery document at {url}: '{name}' is not an absolute http(s) URL (got '{sanitize(value)}')"
            )
        if urlsplit(issuer).scheme == "https" and parts.scheme != "https":
            raise UpstreamUnavailable(
                f"discovery document at {url}: '{name}' must use https like the issuer (got '{sanitize(value)}')"
            )
        endpoints[name] = value
    algorithms = document.get("id_token_signing_alg_values_supported")
    if not isinstance(algorithms, list):
        algorithms = []
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        jwks_uri=endpoints["jwks_uri"],
        iss_parameter_supported=document.get("authorization_response_iss_parameter_supported") is True,
        signing_algorithms=tuple(a for a in algorithms if isinstance(a, str)),
        raw=document,
    )


class DiscoveryCache:
    """Metadata of one issuer, fetched on first use and refreshed after `ttl_seconds`.

    When a refresh fails the previous (checked) metadata stays in use, so a short upstream outage does not
    break logins whose endpoints are already known.
    """

    def __init__(
        self,
        issuer: str,
        *,
        http: httpx2.AsyncClient,
        clock: Clock,
        timeout: float,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        url: str | None = None,
    ) -> None:
        # `url` when the document does not sit under the issuer (Entra's multi-tenant `{tenantid}` template).
        self._url = url or discovery_url(issuer)
        self._issuer = issuer
        self._http = http
        self._clock = clock
        self._timeout = timeout
        self._ttl = ttl_seconds
        self._metadata: ProviderMetadata | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> ProviderMetadata:
        if self._metadata is not None and self._clock.now() - self._fetched_at < self._ttl:
            return self._metadata
        async with self._lock:
            if self._metadata is not None and self._clock.now() - self._fetched_at < self._ttl:
                return self._metadata
            try:
                return await self._fetch()
            except UpstreamUnavailable as exc:
                if self._metadata is None:
                    raise
                logger.warning("keeping cached discovery metadata for %s: %s", self._issuer, exc.message)
                self._fetched_at = self._clock.now() - self._ttl + RETRY_AFTER_FAILURE_SECONDS
                return self._metadata

    async def refresh(self) -> ProviderMetadata:
        """Fetch now, bypassing the cache (for `check-config --online`)."""
        async with self._lock:
            return await self._fetch()

    async def _fetch(self) -> ProviderMetadata:
        url = self._url
        document = await fetch_json(self._http, url, what="discovery document", timeout=self._timeout)
        metadata = parse_metadata(document, self._issuer, url)
        self._metadata = metadata
        self._fetched_at = self._clock.now()
        return metadata
