"""ASGI middleware adding the headers every bridge response carries (no framing, no sniffing, no referrer, HSTS)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"frame-ancestors 'none'; default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def hsts_header(max_age: int, *, dev_mode: bool) -> list[tuple[bytes, bytes]]:
    """Strict-Transport-Security outside dev mode (a dev bridge on plain http must not pin its host to https).
    includeSubDomains, as Keycloak sends by default: a sibling http service below the bridge's host could
    otherwise still read or plant the bridge's cookies in the clear. 0 turns it off (a proxy sends its own)."""
    if dev_mode or max_age == 0:
        return []
    return [(b"strict-transport-security", f"max-age={max_age}; includeSubDomains".encode())]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, extra: list[tuple[bytes, bytes]] | None = None) -> None:
        self.app = app
        self._headers = [*_HEADERS, *(extra or [])]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self._headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
