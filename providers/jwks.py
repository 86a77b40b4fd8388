"""Upstream signing keys (JWKS): cached in memory, refetched on an unknown `kid` at most once a minute."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

import httpx2
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

from providers.base import Clock, TokenRejected, UpstreamUnavailable
from providers.upstream_http import fetch_json, sanitize

logger = logging.getLogger(__name__)

DEFAULT_REFETCH_INTERVAL_SECONDS = 60.0
DEFAULT_TTL_SECONDS = 3600.0
_KEY_TYPE_BY_ALG_PREFIX = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


def key_type_for(alg: str) -> str | None:
    """The JWK `kty` an asymmetric JWS algorithm needs, or None for anything else."""
    return _KEY_TYPE_BY_ALG_PREFIX.get(alg[:2])


def parse_jwks(document: dict[str, Any], url: str) -> tuple[Key, ...]:
    """The asymmetric public keys of a JWKS document; malformed or symmetric keys are skipped."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise UpstreamUnavailable(f"JWKS at {url} has no 'keys' list")
    keys: list[Key] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC", "OKP"):
            continue
        try:
            keys.append(JWKRegistry.import_key(entry))
        except (JoseError, ValueError, TypeError) as exc:
            logger.warning("skipping unusable key %r in JWKS at %s: %s", entry.get("kid"), url, exc)
    if not keys:
        raise UpstreamUnavailable(f"JWKS at {url} holds no usable signing keys")
    return tuple(keys)


def _candidates(keys: tuple[Key, ...], kid: str | None, alg: str) -> list[Key]:
    if kid is not None:
        return [key for key in keys if key.kid == kid]
    kty = key_type_for(alg)
    return [key for key in keys if key.key_type == kty and key.get("use") != "enc"]


class JWKSCache:
    """Keys of one upstream, keyed by `kid`.

    An unknown `kid` triggers one refetch (key rotation), but at most one per `refetch_interval_seconds`, so
    a flood of tokens with made-up key ids cannot hammer the upstream. Keys older than `ttl_seconds` are
    refetched on next use (a removed key stops being trusted); if that fails, the old keys stay in use.
    """

    def __init__(
        self,
        *,
        http: httpx2.AsyncClient,
        clock: Clock,
        timeout: float,
        refetch_interval_seconds: float = DEFAULT_REFETCH_INTERVAL_SECONDS,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
    ) -> None:
        self._http = http
        self._clock = clock
        self._timeout = timeout
        self._refetch_interval = refetch_interval_seconds
        self._ttl = ttl_seconds
        self._url: str | None = None
        self._keys: tuple[Key, ...] = ()
        self._fetched_at = 0.0
        self._last_refetch = -math.inf
        self._lock = asyncio.Lock()

    async def key_for(self, jwks_uri: str, kid: str | None, alg: str) -> Key:
        """The verification key for a token header; raises `TokenRejected` if the upstream has none."""
        keys = await self._current(jwks_uri)
        found = _candidates(keys, kid, alg)
        if not found:
            async with self._lock:
                if self._keys is not keys:
                    found = _candidates(self._keys, kid, alg)
                if not found and self._clock.now() - self._last_refetch >= self._refetch_interval:
                    self._last_refetch = self._clock.now()
                    found = _candidates(await self._fetch(jwks_uri), kid, alg)
        return _pick(found, kid, alg)

    async def refresh(self, jwks_uri: str) -> tuple[Key, ...]:
        """Fetch now, bypassing the cache (for `check-config --online`)."""
        async with self._lock:
            return await self._fetch(jwks_uri)

    async def _current(self, jwks_uri: str) -> tuple[Key, ...]:
        if self._url == jwks_uri and self._clock.now() - self._fetched_at < self._ttl:
            return self._keys
        async with self._lock:
            if self._url == jwks_uri and self._clock.now() - self._fetched_at < self._ttl:
                return self._keys
            try:
                return await self._fetch(jwks_uri)
            except UpstreamUnavailable as exc:
                if self._url != jwks_uri:
                    raise
                logger.warning("keeping cached JWKS from %s: %s", jwks_uri, exc.message)
                self._fetched_at = self._clock.now() - self._ttl + self._refetch_interval
                return self._keys

    async def _fetch(self, jwks_uri: str) -> tuple[Key, ...]:
        document = await fetch_json(self._http, jwks_uri, what="JWKS", timeout=self._timeout)
        keys = parse_jwks(document, jwks_uri)
        self._url, self._keys, self._fetched_at = jwks_uri, keys, self._clock.now()
        return keys


def _pick(found: list[Key], kid: str | None, alg: str) -> Key:
    if kid is None:
        if len(found) != 1:
            raise TokenRejected(
                f"id_token has no 'kid' header and the provider's JWKS holds {len(found)} keys usable with {alg}"
            )
        return found[0]
    if not found:
        raise TokenRejected(f"id_token key id '{sanitize(kid, 80)}' is not in the provider's JWKS")
    kty = key_type_for(alg)
    for key in found:
        if key.key_type == kty and key.get("use") != "enc" and key.alg in (None, alg):
            return key
    raise TokenRejected(f"id_token key '{sanitize(kid, 80)}' in the provider's JWKS is not a {alg} signing key")
