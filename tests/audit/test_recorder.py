"""Auditor and AuditBuffering: a request's events written together, before its response starts and whatever
happens; nothing lost on an exception, nothing stranded by a task that outlives its request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from starlette.types import Message, Receive, Scope, Send

from idp_bridge.audit.recorder import AuditBuffering, Auditor
from idp_bridge.clock import FrozenClock
from idp_bridge.store.records.core import AuditEvent
from idp_bridge.store.sqlite.core import SQLiteStore

SCOPE: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}


class CountingStore(SQLiteStore):
    """An in-memory SQLiteStore that remembers every audit write it was asked for."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.writes: list[list[str]] = []

    async def append_audit(self, event: AuditEvent) -> None:
        self.writes.append([event.type])
        await super().append_audit(event)

    async def append_audit_many(self, events: Sequence[AuditEvent]) -> None:
        self.writes.append([e.type for e in events])
        await super().append_audit_many(events)


@pytest.fixture
async def store() -> AsyncIterator[CountingStore]:
    store = CountingStore()
    await store.open()
    yield store
    await store.close()


async def _types(store: SQLiteStore) -> list[str]:
    return [e.type for e in reversed(await store.list_audit())]  # oldest first


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _respond(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def test_outside_a_request_each_event_is_written_at_once(store: CountingStore) -> None:
    auditor = Auditor(store, FrozenClock())
    await auditor.record("one", "success")
    await auditor.record("two", "failure", reason="x")
    assert store.writes == [["one"], ["two"]]
    assert await _types(store) == ["one", "two"]


async def test_a_requests_events_are_one_write_in_order_before_the_response_starts(store: CountingStore) -> None:
    auditor = Auditor(store, FrozenClock())
    seen_at_start: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for name in ("session.ended", "login.success", "code.issued"):
            await auditor.record(name, "success", user_id="u-1")
        assert await _types(store) == []  # not yet written: buffered
        await _respond(send)

    async def server_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            seen_at_start.extend(await _types(store))

    await AuditBuffering(app, auditor)(SCOPE, _receive, server_send)
    assert seen_at_start == ["session.ended", "login.success", "code.issued"]
    assert store.writes == [["session.ended", "login.success", "code.issued"]]


async def test_an_exception_still_writes_the_events_recorded_before_it(store: CountingStore) -> None:
    auditor = Auditor(store, FrozenClock())

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await auditor.record("login.failed", "failure", reason="upstream_down")
        await auditor.record("something.else", "failure")
        raise RuntimeError("boom")

    async def server_send(message: Message) -> None:
        raise AssertionError("no response was started")

    with pytest.raises(RuntimeError, match="boom"):
        await AuditBuffering(app, auditor)(SCOPE, _receive, server_send)
    assert await _types(store) == ["login.failed", "something.else"]
    assert store.writes == [["login.failed", "something.else"]]


async def test_events_after_the_response_started_are_written_when_the_request_ends(store: CountingStore) -> None:
    auditor = Auditor(store, FrozenClock())

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await auditor.record("before", "success")
        await _respond(send)
        await auditor.record("after", "success")  # e.g. a background task run by the response

    async def server_send(message: Message) -> None:
        pass

    await AuditBuffering(app, auditor)(SCOPE, _receive, server_send)
    assert store.writes == [["before"], ["after"]]
    assert await _types(store) == ["before", "after"]


async def test_a_task_outliving_its_request_writes_its_event_at_once(store: CountingStore) -> None:
    auditor = Auditor(store, FrozenClock())
    go = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def later() -> None:  # like a back-channel delivery: started by the request, inherits its context
        await go.wait()
        await auditor.record("late", "success")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        tasks.append(asyncio.create_task(later()))
        await auditor.record("in.request", "success")
        await _respond(send)

    async def server_send(message: Message) -> None:
        pass

    await AuditBuffering(app, auditor)(SCOPE, _receive, server_send)
    go.set()
    await tasks[0]
    assert store.writes == [["in.request"], ["late"]]
    assert await _types(store) == ["in.request", "late"]


async def test_flush_makes_the_requests_own_events_readable_within_it(store: CountingStore) -> None:
    auditor = Auditor(store, FrozenClock())
    read: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await auditor.record("admin.rejected", "denied")
        await auditor.flush()
        read.extend(await _types(store))
        await _respond(send)

    async def server_send(message: Message) -> None:
        pass

    await AuditBuffering(app, auditor)(SCOPE, _receive, server_send)
    assert read == ["admin.rejected"]
    assert store.writes == [["admin.rejected"]]  # flushed once, not written again


async def test_lifespan_and_websocket_scopes_pass_through(store: CountingStore) -> None:
    auditor = Auditor(store, FrozenClock())

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await auditor.record("startup.check", "success")

    await AuditBuffering(app, auditor)({"type": "lifespan"}, _receive, _respond)
    assert store.writes == [["startup.check"]]


async def test_an_event_recorded_without_the_request_carries_its_client_agent_and_id(store: CountingStore) -> None:
    """Admin actions (policy.changed, admin.technician.mfa_reset, session.forced_logout) pass no request: the
    request context gives them the real client address, user agent and request id; outside a request, "system"."""
    from idp_bridge.observability.access_log import RequestObservability
    from idp_bridge.observability.client_address import TrustedProxies

    auditor = Auditor(store, FrozenClock())
    answered: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await auditor.record("policy.changed", "success", actor="token:t1")
        await _respond(send)

    async def server_send(message: Message) -> None:
        answered.append(message)

    scope: Scope = {**SCOPE, "client": ("10.0.0.9", 5000), "headers": [
        (b"x-forwarded-for", b"203.0.113.4"), (b"user-agent", b"admin-cli/2"), (b"x-request-id", b"req-77")]}
    stack = RequestObservability(AuditBuffering(app, auditor), trusted_proxies=TrustedProxies(["10.0.0.0/8"]),
                                 access_log=False)  # fmt: skip
    await stack(scope, _receive, server_send)
    await auditor.record("session.swept", "success")
    [swept, changed] = await store.list_audit()
    assert (changed.ip, changed.user_agent, changed.request_id) == ("203.0.113.4", "admin-cli/2", "req-77")
    assert (b"x-request-id", b"req-77") in answered[0]["headers"]
    assert (swept.ip, swept.user_agent, swept.request_id) == ("system", None, None)
