"""The Store conformance suite: every rule of idp_bridge.store.protocol.core, which every backend passes unchanged.

`StoreConformance` is the whole of it: the per-record rules (core_grants.py, core_accounts.py) and, here, the rules
that span every record: open, duplicate keys, purging. conftest.py runs it once per backend in its BACKENDS table,
each test on a FRESH, opened store; test_core.py collects it.

Time is injected: every `now` below is explicit, nothing sleeps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from idp_bridge.store.protocol.core import DuplicateKey, Store
from idp_bridge.store.records.core import (
    AccessToken,
    AuditEvent,
    AuthCode,
    AuthRequest,
    CodeTakeStatus,
    LoginFlow,
    Session,
    secret_hash,
)
from tests.store.conformance.core_accounts import AccountConformance
from tests.store.conformance.core_grants import GrantConformance
from tests.store.conformance.samples import (
    ACCESS_TOKEN,
    AUTH_REQUEST,
    CODE,
    CODE_GRACE,
    EVENT,
    LOGIN_FLOW,
    SESSION,
    T0,
    session,
)


class StoreConformance(GrantConformance, AccountConformance):
    """Every rule of idp_bridge.store.protocol.core; the `store` fixture comes from conftest.py (fresh per test)."""

    # -- lifecycle ---------------------------------------------------------------------------------
    async def test_open_is_idempotent(self, store: Store) -> None:
        await store.put_auth_request(AUTH_REQUEST)
        await store.open()
        assert await store.get_auth_request(AUTH_REQUEST.id, T0) == AUTH_REQUEST

    # -- duplicates --------------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("first", "second"),
        [
            (AUTH_REQUEST, dataclasses.replace(AUTH_REQUEST, client_id="other")),
            (LOGIN_FLOW, dataclasses.replace(LOGIN_FLOW, provider_id="other")),
            (SESSION, dataclasses.replace(SESSION, token_hash=secret_hash("other-token"))),
            (SESSION, dataclasses.replace(SESSION, id="sid-other")),  # same token hash
            (CODE, dataclasses.replace(CODE, client_id="other")),
            (ACCESS_TOKEN, dataclasses.replace(ACCESS_TOKEN, client_id="other")),
            (EVENT, dataclasses.replace(EVENT, type="other")),
        ],
        ids=["auth_request", "login_flow", "session-id", "session-token", "code", "access_token", "audit"],
    )
    async def test_put_existing_key_raises_duplicate_and_keeps_original(
        self, store: Store, first: Any, second: Any
    ) -> None:
        puts: dict[type[Any], Callable[[Any], Awaitable[None]]] = {
            AuthRequest: store.put_auth_request,
            LoginFlow: store.put_login_flow,
            Session: store.create_session,
            AuthCode: store.put_code,
            AccessToken: store.put_access_token,
            AuditEvent: store.append_audit,
        }
        put = puts[type(first)]
        await put(first)
        with pytest.raises(DuplicateKey):
            await put(second)
        readers: dict[type[Any], Callable[[], Awaitable[Any]]] = {
            AuthRequest: lambda: store.get_auth_request(AUTH_REQUEST.id, T0),
            LoginFlow: lambda: store.take_login_flow(LOGIN_FLOW.state, T0),
            Session: lambda: store.get_session(SESSION.id, T0),
            AuthCode: lambda: self._taken_code(store),
            AccessToken: lambda: store.get_access_token(ACCESS_TOKEN.token_hash, T0),
            AuditEvent: lambda: self._only_event(store),
        }
        assert await readers[type(first)]() == first

    @staticmethod
    async def _taken_code(store: Store) -> AuthCode | None:
        return (await store.take_code(CODE.code_hash, T0)).code

    @staticmethod
    async def _only_event(store: Store) -> AuditEvent:
        (event,) = await store.list_audit()
        return event

    # -- housekeeping ------------------------------------------------------------------------------
    async def _put_one_of_each(self, store: Store, expires_at: float, n: int) -> None:
        await store.put_auth_request(dataclasses.replace(AUTH_REQUEST, id=f"ar-{n}", expires_at=expires_at))
        await store.put_login_flow(dataclasses.replace(LOGIN_FLOW, state=f"st-{n}", expires_at=expires_at))
        await store.put_code(dataclasses.replace(CODE, code_hash=secret_hash(f"code-{n}"), expires_at=expires_at))
        await store.put_access_token(
            dataclasses.replace(ACCESS_TOKEN, token_hash=secret_hash(f"at-{n}"), expires_at=expires_at)
        )
        await store.create_session(session(n, expires_at=expires_at, idle_timeout=10 * 86_400.0))

    async def _assert_one_of_each_live(self, store: Store, now: float, n: int) -> None:
        assert await store.get_auth_request(f"ar-{n}", now) is not None
        assert await store.get_access_token(secret_hash(f"at-{n}"), now) is not None
        assert await store.get_session(f"sid-{n}", now) is not None
        assert (await store.take_code(secret_hash(f"code-{n}"), now)).status == CodeTakeStatus.OK
        assert await store.take_login_flow(f"st-{n}", now) is not None

    async def test_purge_keeps_live_records(self, store: Store) -> None:
        await self._put_one_of_each(store, T0 + 1000, 1)
        assert await store.purge_expired(T0 + 999) == 0
        await self._assert_one_of_each_live(store, T0 + 999, 1)

    async def test_purge_deletes_dead_records_but_keeps_codes_for_replay(self, store: Store) -> None:
        dead_at, live_until = T0 + 50, T0 + 100_000
        await self._put_one_of_each(store, dead_at, 1)
        await self._put_one_of_each(store, live_until, 2)
        assert (await store.take_code(secret_hash("code-1"), T0)).status == CodeTakeStatus.OK
        now = dead_at + CODE_GRACE - 1
        # request, flow, token and session of set 1 go; its code stays for replay detection
        assert await store.purge_expired(now) == 4
        assert (await store.take_code(secret_hash("code-1"), now)).status == CodeTakeStatus.REPLAYED
        await self._assert_one_of_each_live(store, now, 2)
        assert await store.purge_expired(now) == 0
        later = dead_at + 86_400
        assert await store.purge_expired(later) == 1  # now the code is past its useful life too
        assert (await store.take_code(secret_hash("code-1"), later)).status == CodeTakeStatus.UNKNOWN

    async def test_purge_keeps_unredeemed_expired_code_within_grace(self, store: Store) -> None:
        await store.put_code(CODE)
        await store.purge_expired(CODE.expires_at + CODE_GRACE - 1)
        assert (await store.take_code(CODE.code_hash, CODE.expires_at + CODE_GRACE - 1)).status == (
            CodeTakeStatus.EXPIRED
        )

    async def test_purge_never_deletes_users_or_audit(self, store: Store) -> None:
        user = await store.upsert_user(
            issuer="https://idp.test", subject="s-1", provider_id="entra", email=None, name=None, now=T0
        )
        await store.append_audit(EVENT)
        await store.put_auth_request(AUTH_REQUEST)
        far = T0 + 10 * 365 * 86_400
        assert await store.purge_expired(far) == 1
        assert await store.get_user(user.id) == user
        assert list(await store.list_audit()) == [EVENT]
