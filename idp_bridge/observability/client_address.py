"""The real client address behind trusted proxies: `X-Forwarded-For`/`Forwarded` and `X-Forwarded-Proto`, read
only when the direct peer is a trusted proxy, and then the rightmost address that is not a trusted proxy.

Everything left of the first untrusted address may have been written by the client itself, so it is never read
(a client cannot spoof its address by sending the headers; MDN, RFC 7239 §8.1). `Forwarded` (RFC 7239) is read
when present, else `X-Forwarded-For`; an entry that is no IP address (`unknown`, an obfuscated `_node`, garbage)
stops the walk at the last trusted hop, which is then the address recorded.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Forwarded:
    client_ip: str
    scheme: str | None  # "http" | "https" when the trusted proxy said so


# Parsing addresses with ipaddress costs microseconds and every request behind a proxy repeats the same few
# (the proxy's own, a client's several requests): remembered, bounded so junk cannot grow them.
_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse_ip(text: str) -> str | None:
    """An address as proxies write it (`1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`, `2001:db8::1`), normalised."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _forwarded_elements(value: str) -> list[tuple[str | None, str | None]]:
    """(for, proto) of each element of an RFC 7239 Forwarded header, left to right."""
    elements = []
    for element in value.split(","):
        found: dict[str, str] = {}
        for pair in element.split(";"):
            name, _, text = pair.partition("=")
            found[name.strip().lower()] = text.strip().strip('"')
        elements.append((found.get("for"), found.get("proto")))
    return elements


class TrustedProxies:
    def __init__(self, networks: Iterable[str]) -> None:
        self._networks: tuple[Network, ...] = tuple(ipaddress.ip_network(n, strict=True) for n in networks)
        self.trusts = functools.lru_cache(maxsize=_CACHE_SIZE)(self._trusts)  # type: ignore[method-assign]

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str | None) -> bool:
        """Is `address` (the TCP peer, or a hop of a forwarded chain) one of the trusted proxies?"""
        return self._trusts(address)

    def _trusts(self, address: str | None) -> bool:
        if not self._networks or address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def resolve(
        self, peer: str, forwarded: str | None, x_forwarded_for: Sequence[str], x_forwarded_proto: str | None
    ) -> Forwarded:
        """The client behind `peer` (which the caller found trusted) and the scheme it used, if a proxy said."""
        scheme: str | None = None
        if forwarded is not None:
            elements = _forwarded_elements(forwarded)
            hops = [e[0] or "" for e in elements]
            scheme = elements[-1][1] if elements else None
        else:
            hops = [hop for header in x_forwarded_for for hop in header.split(",")]
            scheme = x_forwarded_proto.split(",")[-1].strip() if x_forwarded_proto else None
        client = peer
        for hop in reversed(hops):
            ip = parse_ip(hop)
            if ip is None:
                break
            client = ip
            if not self.trusts(ip):
                break
        scheme = scheme.lower() if scheme else None
        return Forwarded(client, scheme if scheme in ("http", "https") else None)
