"""The Store conformance suite: every backend passes it unchanged.

A backend's test module subclasses `StoreConformance` and provides one fixture, `store`, yielding a FRESH, opened
store per test (and closing it afterwards):

    class TestMyStore(StoreConformance):
        @pytest.fixture
        async def store(self) -> AsyncIterator[Store]: ...

Time is injected: every `now` below is explicit, nothing sleeps.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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

T = TypeVar("T")

T0 = 1_700_000_000.0
CODE_GRACE = 600.0  # the contract's minimum: a code record is kept this long past its expiry
RACERS = 20

AUTH_REQUEST = AuthRequest(
    id="ar-1",
    client_id="portal",
    redirect_uri="https://portal.test/callback",
    scope="openid email profile",
    state="portal-state",
    nonce="portal-nonce",
    code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    prompt="login",
    max_age=300,
    login_hint="tech@example.com",
    acr_values="urn:idp-bridge:mfa",
    provider_hint="entra",
    created_at=T0,
    expires_at=T0 + 600,
)
LOGIN_FLOW = LoginFlow(
    state="upstream-state-1",
    provider_id="entra",
    auth_request_id="ar-1",
    flow_state={"nonce": "n", "code_verifier": "v" * 43, "nested": {"list": [1, 2.5, "x"], "none": None, "t": True}},
    browser_binding_hash=secret_hash("binding-cookie"),
    created_at=T0,
    expires_at=T0 + 600,
)
SESSION = Session(
    id="sid-1",
    token_hash=secret_hash("session-token-1"),
    user_id="u-1",
    provider_id="entra",
    auth_time=int(T0),
    amr=("pwd", "otp", "mfa"),
    acr="urn:idp-bridge:mfa",
    created_at=T0,
    last_seen_at=T0,
    expires_at=T0 + 8 * 3600,
    idle_timeout=1800.0,
    user_agent="Mozilla/5.0",
    ip="10.0.0.7",
)
CODE = AuthCode(
    code_hash=secret_hash("code-1"),
    client_id="portal",
    redirect_uri="https://portal.test/callback",
    user_id="u-1",
    session_id="sid-1",
    scope="openid email",
    nonce="portal-nonce",
    code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    auth_time=int(T0),
    amr=("pwd", "mfa"),
    acr="urn:idp-bridge:mfa",
    created_at=T0,
    expires_at=T0 + 60,
)
ACCESS_TOKEN = AccessToken(
    token_hash=secret_hash("access-token-1"),
    client_id="portal",
    user_id="u-1",
    session_id="sid-1",
    scope="openid email",
    code_hash=CODE.code_hash,
    created_at=T0,
    expires_at=T0 + 3600,
)
EVENT = AuditEvent(
    id="ev-1",
    at=T0,
    type="login",
    outcome="success",
    user_id="u-1",
    client_id="portal",
    provider_id="entra",
    session_id="sid-1",
    ip="10.0.0.7",
    detail={"amr": ["pwd", "mfa"], "acr": "urn:idp-bridge:mfa"},
)

AUDIT = [  # the events of the audit filter table
    AuditEvent(id="e1", at=T0 + 1, type="login", outcome="success", user_id="u-1"),
    AuditEvent(id="e2", at=T0 + 2, type="login", outcome="success", user_id="u-2"),
    AuditEvent(id="e3", at=T0 + 3, type="logout", outcome="success", user_id="u-1"),
    AuditEvent(id="e4", at=T0 + 4, type="mfa", outcome="denied", user_id="u-1", detail={"why": "otp"}),
    AuditEvent(id="e5", at=T0 + 5, type="login", outcome="failure"),
]


# (offset of `now` from expires_at, whether the record is still readable): expiry is `expires_at <= now`.
EXPIRY_EDGES = [(-60.0, True), (-0.001, True), (0.0, False), (0.001, False), (86_400.0, False)]


def session(n: int, **changes: Any) -> Session:
    """A distinct session (own id and token) derived from SESSION."""
    return dataclasses.replace(SESSION, id=f"sid-{n}", token_hash=secret_hash(f"session-token-{n}"), **changes)


async def race(n: int, call: Callable[[], Awaitable[T]]) -> list[T]:
    """Start `n` calls at once and collect their results."""
    return list(await asyncio.gather(*(call() for _ in range(n))))


class StoreConformance:
    """Every rule of idp_bridge.store.protocol.core. Subclasses provide the `store` fixture (fresh per test)."""

    # -- lifecycle ---------------------------------------------------------------------------------
    async def test_open_is_idempotent(self, store: Store) -> None:
        await store.put_auth_request(AUTH_REQUEST)
        await store.open()
        assert await store.get_auth_request(AUTH_REQUEST.id, T0) == AUTH_REQUEST

    # -- auth requests -----------------------------------------------------------------------------
    @pytest.mark.parametrize(
        "request_",
        [
            AUTH_REQUEST,
            dataclasses.replace(
                AUTH_REQUEST,
                id="ar-none",
                state=None,
                nonce=None,
                prompt=None,
                max_age=None,
                login_hint=None,
                acr_values=None,
                provider_hint=None,
            ),
        ],
        ids=["all-fields", "optionals-none"],
    )
    async def test_auth_request_round_trip(self, store: Store, request_: AuthRequest) -> None:
        await store.put_auth_request(request_)
        assert await store.get_auth_request(request_.id, T0) == request_

    @pytest.mark.parametrize(("offset", "readable"), EXPIRY_EDGES)
    async def test_auth_request_expiry(self, store: Store, offset: float, readable: bool) -> None:
        await store.put_auth_request(AUTH_REQUEST)
        got = await store.get_auth_request(AUTH_REQUEST.id, AUTH_REQUEST.expires_at + offset)
        assert got == (AUTH_REQUEST if readable else None)

    async def test_auth_request_unknown(self, store: Store) -> None:
        assert await store.get_auth_request("nope", T0) is None

    async def test_auth_request_delete(self, store: Store) -> None:
        other = dataclasses.replace(AUTH_REQUEST, id="ar-2")
        await store.put_auth_request(AUTH_REQUEST)
        await store.put_auth_request(other)
        await store.delete_auth_request(AUTH_REQUEST.id)
        assert await store.get_auth_request(AUTH_REQUEST.id, T0) is None
        assert await store.get_auth_request(other.id, T0) == other
        await store.delete_auth_request(AUTH_REQUEST.id)  # deleting again is a no-op
        await store.delete_auth_request("never-existed")

    async def test_code_consuming_its_auth_request(self, store: Store) -> None:
        other = dataclasses.replace(AUTH_REQUEST, id="ar-2")
        await store.put_auth_request(AUTH_REQUEST)
        await store.put_auth_request(other)
        await store.put_code(CODE, consumes_request=AUTH_REQUEST.id)
        assert await store.get_auth_request(AUTH_REQUEST.id, T0) is None
        assert await store.get_auth_request(other.id, T0) == other
        assert (await store.take_code(CODE.code_hash, T0 + 1)).code == CODE
        # All or none: a code that cannot be stored (a duplicate) leaves the request in place.
        with pytest.raises(DuplicateKey):
            await store.put_code(CODE, consumes_request=other.id)
        assert await store.get_auth_request(other.id, T0) == other
        # A request already gone (or never stored) does not stop the code.
        second = dataclasses.replace(CODE, code_hash=secret_hash("code-2"))
        await store.put_code(second, consumes_request="never-existed")
        assert (await store.take_code(second.code_hash, T0 + 1)).code == second

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

    # -- login flows -------------------------------------------------------------------------------
    async def test_login_flow_is_taken_once(self, store: Store) -> None:
        await store.put_login_flow(LOGIN_FLOW)
        assert await store.take_login_flow(LOGIN_FLOW.state, T0) == LOGIN_FLOW
        assert await store.take_login_flow(LOGIN_FLOW.state, T0) is None

    async def test_login_flow_stored_with_its_auth_request(self, store: Store) -> None:
        await store.put_login_flow(LOGIN_FLOW, request=AUTH_REQUEST)
        assert await store.get_auth_request(AUTH_REQUEST.id, T0) == AUTH_REQUEST
        assert await store.take_login_flow(LOGIN_FLOW.state, T0) == LOGIN_FLOW
        # All or none: a flow that cannot be stored (a duplicate state) leaves no request behind.
        await store.put_login_flow(LOGIN_FLOW)
        other = dataclasses.replace(AUTH_REQUEST, id="ar-2")
        with pytest.raises(DuplicateKey):
            await store.put_login_flow(LOGIN_FLOW, request=other)
        assert await store.get_auth_request(other.id, T0) is None

    async def test_login_flow_unknown(self, store: Store) -> None:
        assert await store.take_login_flow("nope", T0) is None

    @pytest.mark.parametrize(("offset", "readable"), EXPIRY_EDGES)
    async def test_login_flow_expiry(self, store: Store, offset: float, readable: bool) -> None:
        await store.put_login_flow(LOGIN_FLOW)
        got = await store.take_login_flow(LOGIN_FLOW.state, LOGIN_FLOW.expires_at + offset)
        assert got == (LOGIN_FLOW if readable else None)

    async def test_login_flow_concurrent_takes_yield_one(self, store: Store) -> None:
        await store.put_login_flow(LOGIN_FLOW)
        results = await race(RACERS, lambda: store.take_login_flow(LOGIN_FLOW.state, T0))
        assert [r for r in results if r is not None] == [LOGIN_FLOW]

    # -- users -------------------------------------------------------------------------------------
    async def test_upsert_creates_user(self, store: Store) -> None:
        user = await store.upsert_user(
            issuer="https://idp.test", subject="s-1", provider_id="entra", email="a@x.test", name="A", now=T0
        )
        assert user.id
        assert (user.issuer, user.subject, user.provider_id) == ("https://idp.test", "s-1", "entra")
        assert (user.email, user.name, user.created_at, user.last_login_at) == ("a@x.test", "A", T0, T0)
        assert user.disabled is False
        assert await store.get_user(user.id) == user

    async def test_upsert_is_idempotent_and_refreshes(self, store: Store) -> None:
        first = await store.upsert_user(
            issuer="https://idp.test", subject="s-1", provider_id="entra", email="a@x.test", name="A", now=T0
        )
        again = await store.upsert_user(
            issuer="https://idp.test", subject="s-1", provider_id="entra", email="b@x.test", name=None, now=T0 + 99
        )
        assert again.id == first.id
        assert (again.email, again.name, again.created_at, again.last_login_at) == ("b@x.test", None, T0, T0 + 99)
        assert await store.get_user(first.id) == again

    @pytest.mark.parametrize(
        ("issuer", "subject", "email", "same_user"),
        [
            ("https://idp.test", "s-1", "other@x.test", True),  # the key is (issuer, subject), not email
            ("https://idp.test", "s-2", "a@x.test", False),  # same email, other subject
            ("https://other.test", "s-1", "a@x.test", False),  # same email and subject, other issuer
        ],
        ids=["same-subject", "same-email-other-subject", "same-email-other-issuer"],
    )
    async def test_user_identity_is_issuer_and_subject(
        self, store: Store, issuer: str, subject: str, email: str, same_user: bool
    ) -> None:
        base = await store.upsert_user(
            issuer="https://idp.test", subject="s-1", provider_id="entra", email="a@x.test", name="A", now=T0
        )
        other = await store.upsert_user(
            issuer=issuer, subject=subject, provider_id="entra", email=email, name="B", now=T0 + 1
        )
        assert (other.id == base.id) is same_user
        if not same_user:
            assert await store.get_user(base.id) == base  # untouched

    async def test_concurrent_first_logins_yield_one_user(self, store: Store) -> None:
        users = await race(
            RACERS,
            lambda: store.upsert_user(
                issuer="https://idp.test", subject="s-9", provider_id="entra", email=None, name=None, now=T0
            ),
        )
        assert len({u.id for u in users}) == 1
        assert await store.get_user(users[0].id) is not None

    async def test_get_unknown_user(self, store: Store) -> None:
        assert await store.get_user("nope") is None

    # -- sessions ----------------------------------------------------------------------------------
    async def test_session_round_trip(self, store: Store) -> None:
        bare = session(2, amr=(), acr=None, user_agent=None, ip=None)
        for s in (SESSION, bare):
            await store.create_session(s)
            assert await store.get_session(s.id, T0) == s
            assert await store.get_session_by_token(s.token_hash, T0) == s

    async def test_session_unknown(self, store: Store) -> None:
        assert await store.get_session("nope", T0) is None
        assert await store.get_session_by_token(secret_hash("nope"), T0) is None
        await store.touch_session("nope", T0)  # no error
        assert await store.end_session("nope", T0, "logout") is False

    @pytest.mark.parametrize(
        ("changes", "now", "live"),
        [
            ({}, T0, True),
            ({}, T0 + 1799, True),
            ({}, T0 + 1800, False),  # idle deadline reached
            ({}, T0 + 5000, False),
            ({"last_seen_at": T0 + 28_000}, T0 + 28_799, True),
            ({"last_seen_at": T0 + 28_000}, T0 + 28_800, False),  # absolute expiry reached while active
            ({"ended_at": T0 + 10, "end_reason": "logout"}, T0 + 20, False),
            ({"ended_at": T0 + 10, "end_reason": "logout"}, T0 + 5, False),  # ended is ended
        ],
        ids=["fresh", "idle-edge-minus-1", "idle-edge", "idle", "abs-edge-minus-1", "abs-edge", "ended", "ended-2"],
    )
    async def test_session_liveness(self, store: Store, changes: dict[str, Any], now: float, live: bool) -> None:
        s = dataclasses.replace(SESSION, **changes)
        await store.create_session(s)
        expected = s if live else None
        assert await store.get_session(s.id, now) == expected
        assert await store.get_session_by_token(s.token_hash, now) == expected
        assert list(await store.list_user_sessions(s.user_id, now)) == ([s] if live else [])

    async def test_touch_moves_idle_deadline(self, store: Store) -> None:
        await store.create_session(SESSION)
        await store.touch_session(SESSION.id, T0 + 1700)
        got = await store.get_session(SESSION.id, T0 + 3000)
        assert got is not None
        assert got.last_seen_at == T0 + 1700
        assert await store.get_session(SESSION.id, T0 + 3499) is not None
        assert await store.get_session(SESSION.id, T0 + 3500) is None

    async def test_touch_does_not_extend_absolute_expiry(self, store: Store) -> None:
        await store.create_session(SESSION)
        for t in range(1000, 28_800, 1000):
            await store.touch_session(SESSION.id, T0 + t)
        assert await store.get_session(SESSION.id, SESSION.expires_at - 1) is not None
        assert await store.get_session(SESSION.id, SESSION.expires_at) is None

    async def test_touch_does_not_revive_ended_session(self, store: Store) -> None:
        await store.create_session(SESSION)
        assert await store.end_session(SESSION.id, T0 + 10, "logout") is True
        await store.touch_session(SESSION.id, T0 + 20)
        assert await store.get_session(SESSION.id, T0 + 20) is None
        assert await store.get_session_by_token(SESSION.token_hash, T0 + 20) is None
        assert await store.end_session(SESSION.id, T0 + 30, "logout") is False

    async def test_touch_does_not_revive_idled_out_session(self, store: Store) -> None:
        # Beyond base.py's wording, but implied by liveness: an idled-out session must stay dead.
        await store.create_session(SESSION)
        await store.touch_session(SESSION.id, T0 + 1800)
        assert await store.get_session(SESSION.id, T0 + 1801) is None

    async def test_end_session(self, store: Store) -> None:
        other = session(2)
        await store.create_session(SESSION)
        await store.create_session(other)
        assert await store.end_session(SESSION.id, T0 + 10, "admin-revoked") is True
        assert await store.end_session(SESSION.id, T0 + 11, "logout") is False
        assert await store.get_session(SESSION.id, T0 + 10) is None
        assert await store.get_session_by_token(SESSION.token_hash, T0 + 10) is None
        assert await store.get_session(other.id, T0 + 10) == other
        assert list(await store.list_user_sessions(SESSION.user_id, T0 + 10)) == [other]

    @pytest.mark.parametrize("now", [SESSION.expires_at, T0 + 1800], ids=["expired", "idled-out"])
    async def test_end_session_of_dead_session_is_false(self, store: Store, now: float) -> None:
        await store.create_session(SESSION)
        assert await store.end_session(SESSION.id, now, "logout") is False

    async def test_end_session_concurrently_ends_once(self, store: Store) -> None:
        await store.create_session(SESSION)
        results = await race(RACERS, lambda: store.end_session(SESSION.id, T0 + 1, "logout"))
        assert results.count(True) == 1

    async def test_list_user_sessions_live_oldest_first(self, store: Store) -> None:
        now = T0 + 100
        created = [30.0, 10.0, 20.0, 0.0]
        mine = [session(i, created_at=T0 + c, last_seen_at=T0 + c) for i, c in enumerate(created)]
        noise = [
            session(10, user_id="u-2"),  # someone else
            session(11, ended_at=T0 + 50, end_reason="logout"),
            session(12, expires_at=now),
            session(13, created_at=T0 - 5000, last_seen_at=T0 - 5000),  # idled out
        ]
        for s in [*mine, *noise]:
            await store.create_session(s)
        got = await store.list_user_sessions("u-1", now)
        assert [s.id for s in got] == ["sid-3", "sid-1", "sid-2", "sid-0"]
        assert list(got) == sorted(mine, key=lambda s: s.created_at)
        assert list(await store.list_user_sessions("nobody", now)) == []

    # -- authorization codes -----------------------------------------------------------------------
    async def test_code_first_take_ok_then_replayed(self, store: Store) -> None:
        await store.put_code(CODE)
        first = await store.take_code(CODE.code_hash, T0 + 1)
        assert (first.status, first.code) == (CodeTakeStatus.OK, CODE)
        for now in (T0 + 2, CODE.expires_at, CODE.expires_at + CODE_GRACE - 1):  # replay seen even after expiry
            again = await store.take_code(CODE.code_hash, now)
            assert (again.status, again.code) == (CodeTakeStatus.REPLAYED, CODE)

    @pytest.mark.parametrize(
        ("offset", "status"),
        [
            (-60.0, CodeTakeStatus.OK),
            (-0.001, CodeTakeStatus.OK),
            (0.0, CodeTakeStatus.EXPIRED),
            (0.001, CodeTakeStatus.EXPIRED),
            (CODE_GRACE - 1, CodeTakeStatus.EXPIRED),
        ],
    )
    async def test_code_expiry(self, store: Store, offset: float, status: CodeTakeStatus) -> None:
        await store.put_code(CODE)
        assert (await store.take_code(CODE.code_hash, CODE.expires_at + offset)).status == status

    async def test_expired_code_stays_expired(self, store: Store) -> None:
        await store.put_code(CODE)
        for now in (CODE.expires_at, CODE.expires_at + 1, CODE.expires_at + 2):
            assert (await store.take_code(CODE.code_hash, now)).status == CodeTakeStatus.EXPIRED

    async def test_code_unknown(self, store: Store) -> None:
        take = await store.take_code(secret_hash("nope"), T0)
        assert (take.status, take.code) == (CodeTakeStatus.UNKNOWN, None)

    async def test_code_concurrent_takes_yield_one_ok(self, store: Store) -> None:
        await store.put_code(CODE)
        takes = await race(RACERS, lambda: store.take_code(CODE.code_hash, T0 + 1))
        statuses = [t.status for t in takes]
        assert statuses.count(CodeTakeStatus.OK) == 1
        assert statuses.count(CodeTakeStatus.REPLAYED) == RACERS - 1
        assert all(t.code == CODE for t in takes)

    # -- access tokens -----------------------------------------------------------------------------
    @pytest.mark.parametrize(("offset", "readable"), EXPIRY_EDGES)
    async def test_access_token_expiry(self, store: Store, offset: float, readable: bool) -> None:
        await store.put_access_token(ACCESS_TOKEN)
        got = await store.get_access_token(ACCESS_TOKEN.token_hash, ACCESS_TOKEN.expires_at + offset)
        assert got == (ACCESS_TOKEN if readable else None)

    async def test_access_token_unknown_and_revoked(self, store: Store) -> None:
        revoked = dataclasses.replace(ACCESS_TOKEN, token_hash=secret_hash("at-revoked"), revoked=True)
        await store.put_access_token(revoked)
        assert await store.get_access_token(revoked.token_hash, T0) is None
        assert await store.get_access_token(secret_hash("nope"), T0) is None

    async def test_revoke_tokens_for_code(self, store: Store) -> None:
        other_code = secret_hash("code-2")
        from_code = [dataclasses.replace(ACCESS_TOKEN, token_hash=secret_hash(f"at-{i}")) for i in range(2)]
        unrelated = [
            dataclasses.replace(ACCESS_TOKEN, token_hash=secret_hash("at-other"), code_hash=other_code),
            dataclasses.replace(ACCESS_TOKEN, token_hash=secret_hash("at-nocode"), code_hash=None),
        ]
        for t in [*from_code, *unrelated]:
            await store.put_access_token(t)
        assert await store.revoke_tokens_for_code(CODE.code_hash) == 2
        for t in from_code:
            assert await store.get_access_token(t.token_hash, T0) is None
        for t in unrelated:
            assert await store.get_access_token(t.token_hash, T0) == t
        assert await store.revoke_tokens_for_code(CODE.code_hash) == 0  # already revoked
        assert await store.revoke_tokens_for_code(secret_hash("nope")) == 0

    # -- audit -------------------------------------------------------------------------------------
    async def test_audit_round_trip(self, store: Store) -> None:
        bare = AuditEvent(id="ev-2", at=T0 + 1, type="login", outcome="failure")
        await store.append_audit(EVENT)
        await store.append_audit(bare)
        assert list(await store.list_audit()) == [bare, EVENT]

    async def test_audit_append_many_keeps_order_and_is_all_or_none(self, store: Store) -> None:
        await store.append_audit_many([])
        assert list(await store.list_audit()) == []
        same_time = [AuditEvent(id=f"m-{i}", at=T0, type="t", outcome="success", detail={"i": i}) for i in range(3)]
        await store.append_audit_many(same_time)
        await store.append_audit_many([AUDIT[0]])
        # Newest first; events of the same instant in reverse order of appending.
        assert list(await store.list_audit()) == [AUDIT[0], *reversed(same_time)]
        with pytest.raises(DuplicateKey):  # the second event repeats an id: none of the batch is written
            await store.append_audit_many([AUDIT[1], same_time[0]])
        assert [e.id for e in await store.list_audit()] == ["e1", "m-2", "m-1", "m-0"]

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({}, ["e5", "e4", "e3", "e2", "e1"]),
            ({"user_id": "u-1"}, ["e4", "e3", "e1"]),
            ({"type": "login"}, ["e5", "e2", "e1"]),
            ({"user_id": "u-1", "type": "login"}, ["e1"]),
            ({"since": T0 + 3}, ["e5", "e4", "e3"]),  # since is inclusive
            ({"until": T0 + 3}, ["e2", "e1"]),  # until is exclusive
            ({"since": T0 + 2, "until": T0 + 4}, ["e3", "e2"]),
            ({"limit": 2}, ["e5", "e4"]),
            ({"user_id": "u-1", "limit": 1}, ["e4"]),
            ({"user_id": "nobody"}, []),
            ({"type": "login", "since": T0 + 6}, []),
        ],
    )
    async def test_audit_filters_newest_first(self, store: Store, filters: dict[str, Any], expected: list[str]) -> None:
        for i in (2, 0, 4, 1, 3):  # inserted out of time order
            await store.append_audit(AUDIT[i])
        got = await store.list_audit(**filters)
        assert [e.id for e in got] == expected
        by_id = {e.id: e for e in AUDIT}
        assert list(got) == [by_id[i] for i in expected]

    async def test_audit_default_limit_is_100(self, store: Store) -> None:
        for i in range(105):
            await store.append_audit(AuditEvent(id=f"ev-{i}", at=T0 + i, type="t", outcome="success"))
        got = await store.list_audit()
        assert [e.id for e in got] == [f"ev-{i}" for i in range(104, 4, -1)]

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
