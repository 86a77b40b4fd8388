"""Conformance of who signed in and what they did: users, their sessions, the audit trail."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from idp_bridge.store.protocol.core import DuplicateKey, Store
from idp_bridge.store.records.core import AuditEvent, secret_hash
from tests.store.conformance.samples import AUDIT, EVENT, RACERS, SESSION, T0, race, session


class AccountConformance:
    """The user, session and audit rules of idp_bridge.store.protocol.core."""

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
