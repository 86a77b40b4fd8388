"""The session-rules conformance suite (store/protocol/session_rules.py): every backend passes it unchanged.

conftest.py runs it once per backend in its BACKENDS table, each test on a FRESH, opened store;
test_session_rules.py collects it. Time is injected; nothing sleeps.
"""

from __future__ import annotations

import dataclasses

import pytest

from idp_bridge.store.protocol.core import DuplicateKey, Store
from idp_bridge.store.records.core import secret_hash
from idp_bridge.store.records.session_rules import (
    LogoutDelivery,
    RefreshStatus,
    RefreshToken,
    SessionIdentity,
    UserSessionSettings,
)
from tests.store.conformance.samples import ACCESS_TOKEN, RACERS, SESSION, T0, race, session

REFRESH = RefreshToken(
    token_hash=secret_hash("refresh-1"),
    family_id="fam-1",
    client_id="portal",
    user_id="u-1",
    session_id="sid-1",
    scope="openid email",
    created_at=T0,
    expires_at=T0 + 8 * 3600,
)


class SessionRulesConformance:
    # -- eviction ----------------------------------------------------------------------------------
    async def test_create_with_limit_one_evicts_every_older_session(self, store: Store) -> None:
        assert await store.create_session_evicting(session(1), 1, T0) == []
        evicted = await store.create_session_evicting(session(2, created_at=T0 + 1), 1, T0 + 1)
        assert [(s.id, s.end_reason, s.ended_at) for s in evicted] == [("sid-1", "evicted", T0 + 1)]
        assert [s.id for s in await store.list_user_sessions("u-1", T0 + 1)] == ["sid-2"]

    async def test_eviction_takes_the_oldest_first_and_spares_other_users(self, store: Store) -> None:
        for n, created in ((3, T0 + 3), (1, T0 + 1), (2, T0 + 2)):
            await store.create_session_evicting(session(n, created_at=created), 3, T0 + 3)
        await store.create_session_evicting(session(9, user_id="u-2", created_at=T0), 1, T0 + 3)
        evicted = await store.create_session_evicting(session(4, created_at=T0 + 4), 2, T0 + 4)
        assert [s.id for s in evicted] == ["sid-1", "sid-2"]
        assert [s.id for s in await store.list_user_sessions("u-1", T0 + 4)] == ["sid-3", "sid-4"]
        assert [s.id for s in await store.list_user_sessions("u-2", T0 + 4)] == ["sid-9"]

    async def test_sessions_that_ran_out_do_not_count_against_the_limit(self, store: Store) -> None:
        await store.create_session_evicting(session(1, idle_timeout=10.0), 1, T0)
        assert await store.create_session_evicting(session(2, created_at=T0 + 20), 1, T0 + 20) == []

    async def test_step_up_replaces_token_and_assurance_of_a_live_session_only(self, store: Store) -> None:
        await store.create_session_evicting(session(1, amr=("pwd",), acr="loa1"), 1, T0)
        new_hash = secret_hash("stepped-up-token")
        stepped = await store.step_up_session("sid-1", new_hash, ("pwd", "otp", "mfa"), "loa2", int(T0) + 5, T0 + 5)
        assert stepped is not None and stepped.id == "sid-1" and stepped.created_at == T0
        assert (stepped.token_hash, stepped.amr, stepped.acr, stepped.auth_time) == (
            new_hash, ("pwd", "otp", "mfa"), "loa2", int(T0) + 5
        )  # fmt: skip
        assert await store.get_session_by_token(secret_hash("session-token-1"), T0 + 5) is None  # old token dead
        assert await store.get_session_by_token(new_hash, T0 + 5) == stepped
        await store.end_session_returning("sid-1", T0 + 6, "logout")
        assert await store.step_up_session("sid-1", secret_hash("x"), ("mfa",), "loa2", int(T0) + 7, T0 + 7) is None
        assert await store.step_up_session("nope", secret_hash("y"), ("mfa",), "loa2", int(T0) + 7, T0 + 7) is None

    @pytest.mark.parametrize("limit", [1, 3])
    async def test_parallel_logins_leave_exactly_the_limit(self, store: Store, limit: int) -> None:
        sessions = iter([session(100 + i, user_id="racer", created_at=T0 + i) for i in range(RACERS)])
        results = await race(RACERS, lambda: store.create_session_evicting(next(sessions), limit, T0 + RACERS))
        live = await store.list_user_sessions("racer", T0 + RACERS)
        assert len(live) == limit
        evicted_ids = [s.id for r in results for s in r]
        assert len(evicted_ids) == len(set(evicted_ids)) == RACERS - limit  # each ended exactly once

    async def test_create_evicting_refuses_a_duplicate_and_evicts_nothing(self, store: Store) -> None:
        await store.create_session_evicting(session(1), 2, T0)
        await store.create_session_evicting(session(2, created_at=T0 + 1), 2, T0 + 1)
        with pytest.raises(DuplicateKey):
            await store.create_session_evicting(session(2, created_at=T0 + 2), 2, T0 + 2)
        assert len(await store.list_user_sessions("u-1", T0 + 2)) == 2

    # -- ending, notices, token revocation ---------------------------------------------------------
    async def test_end_returns_the_record_once_and_leaves_a_notice(self, store: Store) -> None:
        await store.create_session(SESSION)
        results = await race(RACERS, lambda: store.end_session_returning("sid-1", T0 + 5, "logout"))
        ended = [r for r in results if r is not None]
        assert len(ended) == 1 and ended[0].end_reason == "logout" and ended[0].ended_at == T0 + 5
        notice = await store.find_end_notice(SESSION.token_hash, T0 + 6)
        assert notice is not None and (notice.session_id, notice.reason) == ("sid-1", "logout")
        assert await store.find_end_notice(SESSION.token_hash, T0 + 5 + 86_400) is None  # kept a day
        assert await store.find_end_notice(secret_hash("other"), T0 + 6) is None

    async def test_ending_revokes_access_and_refresh_tokens(self, store: Store) -> None:
        await store.create_session(SESSION)
        await store.put_access_token(ACCESS_TOKEN)
        await store.put_refresh_token(REFRESH)
        await store.end_session_returning("sid-1", T0 + 1, "logout")
        assert await store.get_access_token(ACCESS_TOKEN.token_hash, T0 + 2) is None
        refresh = await store.get_refresh_token(REFRESH.token_hash)
        assert refresh is not None and refresh.revoked

    async def test_revoking_a_code_revokes_the_refresh_family_it_started_and_what_the_family_minted(
        self, store: Store
    ) -> None:
        code_hash = secret_hash("code-1")
        started = dataclasses.replace(REFRESH, family_id=code_hash)
        await store.create_session(SESSION)
        await store.put_refresh_token(started)
        assert (await store.rotate_refresh_token(started.token_hash, secret_hash("refresh-2"), T0 + 1)).status is (
            RefreshStatus.OK
        )
        minted = dataclasses.replace(ACCESS_TOKEN, token_hash=secret_hash("at-refreshed"), code_hash=code_hash)
        await store.put_access_token(minted)
        other_family = dataclasses.replace(REFRESH, token_hash=secret_hash("refresh-other"), family_id="fam-2")
        await store.put_refresh_token(other_family)
        # The minted access token and the rotated family's live refresh token (the spent one already counts as
        # spent, revoked too: none of the family may come back).
        assert await store.revoke_tokens_for_code(code_hash) == 3
        assert await store.get_access_token(minted.token_hash, T0 + 2) is None
        for token_hash in (started.token_hash, secret_hash("refresh-2")):
            token = await store.get_refresh_token(token_hash)
            assert token is not None and token.revoked
        rotated = await store.rotate_refresh_token(secret_hash("refresh-2"), secret_hash("refresh-3"), T0 + 2)
        assert rotated.status is RefreshStatus.REUSED
        assert await store.get_refresh_token(secret_hash("refresh-3")) is None
        assert await store.get_refresh_token(other_family.token_hash) == other_family  # another grant: untouched
        assert await store.revoke_tokens_for_code(code_hash) == 0

    async def test_end_user_sessions_ends_only_that_users_live_ones(self, store: Store) -> None:
        await store.create_session(session(1))
        await store.create_session(session(2, created_at=T0 + 1))
        await store.create_session(session(3, user_id="u-2"))
        await store.end_session_returning("sid-2", T0 + 2, "logout")
        ended = await store.end_user_sessions("u-1", T0 + 3, "mfa_changed")
        assert [(s.id, s.end_reason) for s in ended] == [("sid-1", "mfa_changed")]
        assert await store.end_user_sessions("u-1", T0 + 3, "mfa_changed") == []
        assert [s.id for s in await store.list_user_sessions("u-2", T0 + 3)] == ["sid-3"]

    async def test_end_sessions_by_provider(self, store: Store) -> None:
        await store.create_session(session(1, provider_id="entra"))
        await store.create_session(session(2, provider_id="okta"))
        ended = await store.end_sessions_by_provider(["okta"], T0 + 1, "policy_changed")
        assert [(s.id, s.end_reason) for s in ended] == [("sid-1", "policy_changed")]

    @pytest.mark.parametrize(
        ("changes", "now", "reason"),
        [
            ({"idle_timeout": 100.0}, T0 + 100, "idle"),
            ({"expires_at": T0 + 50}, T0 + 50, "absolute"),
            ({"expires_at": T0 + 50, "idle_timeout": 10.0}, T0 + 60, "idle"),  # idle ran out first
            ({"expires_at": T0 + 10, "idle_timeout": 50.0}, T0 + 60, "absolute"),
        ],
    )
    async def test_expired_sessions_are_ended_with_the_reason_that_came_first(
        self, store: Store, changes: dict[str, float], now: float, reason: str
    ) -> None:
        await store.create_session(session(1, **changes))
        await store.create_session(session(2, created_at=T0, expires_at=now + 1000, idle_timeout=5000.0))
        assert await store.end_expired_session("sid-2", now) is None  # still live
        ended = await store.end_expired_sessions(now)
        assert [(s.id, s.end_reason) for s in ended] == [("sid-1", reason)]
        assert await store.end_expired_sessions(now) == []  # each is ended once
        assert await store.end_expired_session("sid-1", now) is None

    async def test_sweep_and_lazy_expiry_race_end_once(self, store: Store) -> None:
        await store.create_session(session(1, idle_timeout=10.0))
        results = await race(RACERS, lambda: store.end_expired_session("sid-1", T0 + 10))
        results += [await store.end_expired_sessions(T0 + 10)]  # type: ignore[list-item]
        assert sum(1 for r in results if r) == 1

    async def test_end_expired_sessions_honours_the_limit(self, store: Store) -> None:
        for n in range(5):
            await store.create_session(session(n, idle_timeout=10.0))
        assert len(await store.end_expired_sessions(T0 + 10, limit=3)) == 3
        assert len(await store.end_expired_sessions(T0 + 10, limit=3)) == 2

    # -- portals per session -----------------------------------------------------------------------
    async def test_session_clients_in_first_use_order_without_duplicates(self, store: Store) -> None:
        for client in ("b", "a", "b"):
            await store.record_session_client("sid-1", client, T0)
        await store.record_session_client("sid-2", "c", T0)
        assert list(await store.list_session_clients("sid-1")) == ["b", "a"]
        assert list(await store.list_session_clients("nope")) == []

    async def test_access_token_can_record_its_portal_in_the_same_step(self, store: Store) -> None:
        await store.put_access_token(ACCESS_TOKEN)  # not asked to: no portal recorded
        assert list(await store.list_session_clients("sid-1")) == []
        second = dataclasses.replace(ACCESS_TOKEN, token_hash=secret_hash("at-2"), client_id="b")
        third = dataclasses.replace(ACCESS_TOKEN, token_hash=secret_hash("at-3"), created_at=T0 + 1)
        for token in (second, third, dataclasses.replace(second, token_hash=secret_hash("at-4"))):
            await store.put_access_token(token, record_client=True)
            assert await store.get_access_token(token.token_hash, T0 + 2) == token
        assert list(await store.list_session_clients("sid-1")) == ["b", "portal"]
        # All or none: a token that cannot be stored (a duplicate) records no portal.
        with pytest.raises(DuplicateKey):
            await store.put_access_token(dataclasses.replace(third, session_id="sid-2"), record_client=True)
        assert list(await store.list_session_clients("sid-2")) == []

    async def test_session_groups_round_trip(self, store: Store) -> None:
        assert tuple(await store.get_session_groups("sid-1")) == ()
        await store.put_session_groups("sid-1", ["ops", "tier 2"])
        assert tuple(await store.get_session_groups("sid-1")) == ("ops", "tier 2")

    async def test_session_identity_round_trip_and_groups_for_forward_auth(self, store: Store) -> None:
        assert await store.get_session_identity("sid-1") is None
        facts = SessionIdentity(groups=("office", "tier 2"), tenant="tid-1", roles=("Technician",), groups_overage=True)
        await store.put_session_identity("sid-1", facts)
        assert await store.get_session_identity("sid-1") == facts
        assert tuple(await store.get_session_groups("sid-1")) == ("office", "tier 2")
        assert await store.get_session_identity("sid-2") is None
        replaced = SessionIdentity()  # a login with no groups, tenant or roles is still recorded (not None)
        await store.put_session_identity("sid-1", replaced)
        assert await store.get_session_identity("sid-1") == replaced
        assert tuple(await store.get_session_groups("sid-1")) == ()

    async def test_groups_only_rows_keep_their_groups_but_have_no_identity_facts(self, store: Store) -> None:
        # put_session_groups writes what sessions recorded before they kept identity facts: such a session
        # cannot be judged by an identity rule, and forward-auth still gets its groups.
        await store.put_session_groups("sid-old", ["ops"])
        assert tuple(await store.get_session_groups("sid-old")) == ("ops",)
        assert await store.get_session_identity("sid-old") is None
        assert await store.get_session_identities(["sid-old"]) == {}

    async def test_session_identities_in_one_read(self, store: Store) -> None:
        office, field = SessionIdentity(groups=("office",)), SessionIdentity(groups=("field",), tenant="t")
        await store.put_session_identity("sid-1", office)
        await store.put_session_identity("sid-2", field)
        await store.put_session_identity("sid-3", SessionIdentity(roles=("not asked",)))
        await store.put_session_groups("sid-4", ["legacy"])
        found = await store.get_session_identities(["sid-1", "sid-2", "sid-4", "sid-9"])
        assert dict(found) == {"sid-1": office, "sid-2": field}
        assert await store.get_session_identities([]) == {}

    async def test_session_groups_stored_with_the_new_session(self, store: Store) -> None:
        await store.create_session_evicting(session(1), 1, T0, SessionIdentity(groups=("ops", "tier 2")))
        assert tuple(await store.get_session_groups("sid-1")) == ("ops", "tier 2")
        facts = SessionIdentity(groups=("ops",), tenant="tid-1", roles=("Technician",))
        evicted = await store.create_session_evicting(session(2, created_at=T0 + 1), 1, T0 + 1, facts)
        assert [s.id for s in evicted] == ["sid-1"]
        assert tuple(await store.get_session_groups("sid-2")) == ("ops",)
        assert await store.get_session_identity("sid-2") == facts
        await store.create_session_evicting(session(3, created_at=T0 + 2), 3, T0 + 2)  # no facts: none stored
        assert tuple(await store.get_session_groups("sid-3")) == ()
        # All or none: a session that cannot be stored (a duplicate id) leaves no groups behind.
        with pytest.raises(DuplicateKey):
            await store.create_session_evicting(session(3, created_at=T0 + 3), 3, T0 + 3, SessionIdentity(("admins",)))
        assert tuple(await store.get_session_groups("sid-3")) == ()

    async def test_expired_session_found_by_token(self, store: Store) -> None:
        await store.create_session(session(1, idle_timeout=10.0))
        assert await store.end_expired_session_by_token(session(1).token_hash, T0 + 9) is None
        ended = await store.end_expired_session_by_token(session(1).token_hash, T0 + 10)
        assert ended is not None and (ended.id, ended.end_reason) == ("sid-1", "idle")
        notice = await store.find_end_notice(session(1).token_hash, T0 + 11)
        assert notice is not None and notice.reason == "idle"

    # -- refresh tokens ----------------------------------------------------------------------------
    async def test_rotation_spends_the_old_token_once(self, store: Store) -> None:
        await store.create_session(SESSION)
        await store.put_refresh_token(REFRESH)
        names = iter(f"new-{i}" for i in range(RACERS))
        results = await race(
            RACERS, lambda: store.rotate_refresh_token(REFRESH.token_hash, secret_hash(next(names)), T0 + 1)
        )
        statuses = sorted(r.status.value for r in results)
        assert statuses == ["ok"] + ["reused"] * (RACERS - 1)

    async def test_reuse_of_a_rotated_token_revokes_the_family(self, store: Store) -> None:
        await store.create_session(SESSION)
        await store.put_refresh_token(REFRESH)
        ok = await store.rotate_refresh_token(REFRESH.token_hash, secret_hash("r2"), T0 + 1)
        assert ok.status is RefreshStatus.OK and ok.old == REFRESH
        new = await store.get_refresh_token(secret_hash("r2"))
        assert new is not None and (new.family_id, new.session_id, new.expires_at) == (
            "fam-1",
            "sid-1",
            REFRESH.expires_at,
        )
        reuse = await store.rotate_refresh_token(REFRESH.token_hash, secret_hash("r3"), T0 + 2)
        assert reuse.status is RefreshStatus.REUSED and reuse.revoked == 2  # the spent one and its successor
        after = await store.rotate_refresh_token(secret_hash("r2"), secret_hash("r4"), T0 + 3)
        assert after.status is RefreshStatus.REUSED  # the successor died with the family
        assert await store.get_refresh_token(secret_hash("r3")) is None

    @pytest.mark.parametrize(
        ("end", "now", "status"),
        [(False, REFRESH.expires_at, RefreshStatus.EXPIRED), (True, T0 + 5, RefreshStatus.REUSED)],
    )
    async def test_rotation_refused_when_expired_or_session_ended(
        self, store: Store, end: bool, now: float, status: RefreshStatus
    ) -> None:
        await store.create_session(dataclasses.replace(SESSION, expires_at=T0 + 10 * 3600))
        await store.put_refresh_token(REFRESH)
        if end:  # ending the session revoked the token, so presenting it counts as reuse
            await store.end_session_returning("sid-1", T0 + 1, "logout")
        assert (await store.rotate_refresh_token(REFRESH.token_hash, secret_hash("n"), now)).status is status

    async def test_rotation_refused_when_session_ran_out(self, store: Store) -> None:
        await store.create_session(dataclasses.replace(SESSION, idle_timeout=60.0))
        await store.put_refresh_token(REFRESH)
        rotation = await store.rotate_refresh_token(REFRESH.token_hash, secret_hash("n"), T0 + 60)
        assert rotation.status is RefreshStatus.SESSION_ENDED
        assert (await store.rotate_refresh_token(secret_hash("zz"), secret_hash("n2"), T0)).status is (
            RefreshStatus.UNKNOWN
        )

    # -- deliveries, settings, users ---------------------------------------------------------------
    async def test_logout_delivery_upsert_and_list(self, store: Store) -> None:
        first = LogoutDelivery("d1", "sid-1", "portal", "https://p.test/bc", "j1", "logout", "pending", 0, None, T0, T0)
        await store.save_logout_delivery(first)
        done = dataclasses.replace(first, status="delivered", attempts=2, last_error="HTTP 500", updated_at=T0 + 3)
        await store.save_logout_delivery(done)
        other = dataclasses.replace(first, id="d2", session_id="sid-2")
        await store.save_logout_delivery(other)
        assert list(await store.list_logout_deliveries("sid-1")) == [done]

    async def test_user_session_settings_round_trip(self, store: Store) -> None:
        assert await store.get_user_session_settings("u-1") is None
        settings = UserSessionSettings("u-1", idle_timeout_seconds=300, max_sessions=2, updated_at=T0)
        await store.put_user_session_settings(settings)
        assert await store.get_user_session_settings("u-1") == settings
        changed = dataclasses.replace(settings, idle_timeout_seconds=None, max_sessions=None)
        await store.put_user_session_settings(changed)
        assert await store.get_user_session_settings("u-1") == changed

    async def test_set_user_disabled(self, store: Store) -> None:
        user = await store.upsert_user(issuer="https://i.test", subject="s", provider_id="p", email=None, name=None,
                                       now=T0)  # fmt: skip
        assert await store.set_user_disabled(user.id, True)
        found = await store.get_user(user.id)
        assert found is not None and found.disabled
        assert not await store.set_user_disabled("nobody", True)

    async def test_purge_session_records(self, store: Store) -> None:
        await store.create_session(SESSION)
        await store.put_refresh_token(REFRESH)
        await store.end_session_returning("sid-1", T0 + 1, "logout")
        assert await store.purge_session_records(T0 + 2) == 0
        assert await store.purge_session_records(REFRESH.expires_at + 86_400) >= 2
        assert await store.find_end_notice(SESSION.token_hash, T0 + 2) is None
        assert await store.get_refresh_token(REFRESH.token_hash) is None
