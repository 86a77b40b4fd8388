"""Real receivers on 127.0.0.1 for the bridge's one-time codes: an SMTP server (aiosmtpd) and an HTTP SMS gateway."""

from __future__ import annotations

import email
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.bridge_harness import free_port

_CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def last_code(self) -> str:
        assert self.messages, "no mail arrived"
        body = self.messages[-1].get_payload(decode=True)
        assert isinstance(body, bytes)
        found = _CODE.search(body.decode())
        assert found, body
        return found.group(1)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class Gateway:
    url: str = ""
    posts: list[tuple[dict[str, str], Any]] = field(default_factory=list)  # (headers, JSON body)
    status: int = 200

    def last_code(self) -> str:
        assert self.posts, "no SMS arrived"
        found = _CODE.search(self.posts[-1][1]["text"])
        assert found
        return found.group(1)


@contextmanager
def sms_gateway() -> Iterator[Gateway]:
    gateway = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            gateway.posts.append((dict(self.headers), json.loads(body)))
            self.send_response(gateway.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
