"""Conformance of the records one sign-in passes through: authorization requests, login flows, codes, access tokens."""

from __future__ import annotations

import dataclasses

import pytest

from idp_bridge.store.protocol.core import DuplicateKey, Store
from idp_bridge.store.records.core import AuthRequest, CodeTakeStatus, secret_hash
from tests.store.conformance.samples import (
    ACCESS_TOKEN,
    AUTH_REQUEST,
    CODE,
    CODE_GRACE,
    EXPIRY_EDGES,
    LOGIN_FLOW,
    RACERS,
    T0,
    race,
)


class GrantConformance:
    """The auth request, login flow, code and access token rules of idp_bridge.store.protocol.core."""

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
        assert await store.get_login_flow("nope", T0) is None

    async def test_login_flow_read_without_taking_it(self, store: Store) -> None:
        await store.put_login_flow(LOGIN_FLOW)
        assert await store.get_login_flow(LOGIN_FLOW.state, T0) == LOGIN_FLOW
        assert await store.get_login_flow(LOGIN_FLOW.state, T0) == LOGIN_FLOW  # reading leaves it in place
        assert await store.take_login_flow(LOGIN_FLOW.state, T0) == LOGIN_FLOW
        assert await store.get_login_flow(LOGIN_FLOW.state, T0) is None  # taken: gone for readers too

    @pytest.mark.parametrize(("offset", "readable"), EXPIRY_EDGES)
    async def test_login_flow_read_expiry(self, store: Store, offset: float, readable: bool) -> None:
        await store.put_login_flow(LOGIN_FLOW)
        got = await store.get_login_flow(LOGIN_FLOW.state, LOGIN_FLOW.expires_at + offset)
        assert got == (LOGIN_FLOW if readable else None)

    @pytest.mark.parametrize(("offset", "readable"), EXPIRY_EDGES)
    async def test_login_flow_expiry(self, store: Store, offset: float, readable: bool) -> None:
        await store.put_login_flow(LOGIN_FLOW)
        got = await store.take_login_flow(LOGIN_FLOW.state, LOGIN_FLOW.expires_at + offset)
        assert got == (LOGIN_FLOW if readable else None)

    async def test_login_flow_concurrent_takes_yield_one(self, store: Store) -> None:
        await store.put_login_flow(LOGIN_FLOW)
        results = await race(RACERS, lambda: store.take_login_flow(LOGIN_FLOW.state, T0))
        assert [r for r in results if r is not None] == [LOGIN_FLOW]

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
