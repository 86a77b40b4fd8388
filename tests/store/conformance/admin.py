"""The AdminStore conformance suite (store/protocol/admin.py): every backend passes it unchanged (see conftest.py)."""

from __future__ import annotations

import asyncio

from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.admin import APIToken, AuthFailures, MappedRole, PolicyVersion
from idp_bridge.store.records.core import secret_hash
from tests.store.conformance.samples import RACERS, T0, session


def version(n: int, **changes: object) -> PolicyVersion:
    values: dict[str, object] = {
        "version": n, "document": f'{{"v": {n}}}', "author": "root", "comment": f"change {n}", "created_at": T0 + n,
        "diff": f"+{n}",
    }  # fmt: skip
    values.update(changes)
    return PolicyVersion(**values)  # type: ignore[arg-type]


TOKEN = APIToken(
    id="tok-1", token_hash=secret_hash("ibt_tok-1_secret"), name="ci", scopes=("policy:read", "audit:read"),
    created_by="cli", created_at=T0, expires_at=T0 + 3600,
)  # fmt: skip


class AdminStoreConformance:
    async def test_no_policy_version_at_first(self, store: Store) -> None:
        assert await store.policy_version_number() == 0
        assert await store.get_policy_version() is None
        assert await store.list_policy_versions() == []

    async def test_policy_versions_append_in_order(self, store: Store) -> None:
        assert await store.add_policy_version(version(1))
        assert await store.add_policy_version(version(2, rollback_of=1))
        assert not await store.add_policy_version(version(2, comment="late"))  # taken
        assert not await store.add_policy_version(version(4))  # a gap
        assert await store.policy_version_number() == 2
        assert await store.get_policy_version() == version(2, rollback_of=1)
        assert await store.get_policy_version(1) == version(1)
        assert await store.get_policy_version(9) is None
        assert [v.version for v in await store.list_policy_versions()] == [2, 1]
        assert [v.version for v in await store.list_policy_versions(limit=1)] == [2]

    async def test_concurrent_saves_of_one_version_one_wins(self, store: Store) -> None:
        results = await asyncio.gather(
            *(store.add_policy_version(version(1, comment=f"racer {i}")) for i in range(RACERS))
        )
        assert results.count(True) == 1
        assert await store.policy_version_number() == 1

    async def test_api_tokens(self, store: Store) -> None:
        await store.put_api_token(TOKEN)
        assert await store.get_api_token("tok-1") == TOKEN
        assert await store.get_api_token("nope") is None
        await store.touch_api_token("tok-1", T0 + 5)
        assert await store.revoke_api_token("tok-1", T0 + 10)
        assert not await store.revoke_api_token("tok-1", T0 + 11)  # already revoked
        stored = await store.get_api_token("tok-1")
        assert stored is not None and stored.revoked_at == T0 + 10 and stored.last_used_at == T0 + 5
        assert [t.id for t in await store.list_api_tokens()] == ["tok-1"]

    async def test_search_users_and_disable(self, store: Store) -> None:
        users = []
        people = [("ann@corp.example", "Ann"), ("bob@corp.example", "Bob"), (None, "Cy Young")]
        for i, (email, name) in enumerate(people):
            users.append(await store.upsert_user(
                issuer="https://idp", subject=f"s{i}", provider_id="acme", email=email, name=name, now=T0,
            ))  # fmt: skip
        assert [u.email for u in await store.search_users(None, 10)] == ["ann@corp.example", "bob@corp.example", None]
        # "@" and a space are never part of a random user id, which the search also matches ("bob" or "cy" alone
        # can be: "cy" was in 1 id of ~25, and "bob" failed a run)
        assert [u.name for u in await store.search_users("BOB@", 10)] == ["Bob"]
        assert [u.name for u in await store.search_users("cy y", 10)] == ["Cy Young"]
        assert [u.name for u in await store.search_users("corp", 1, offset=1)] == ["Bob"]
        assert await store.search_users("nobody", 10) == []
        assert await store.set_user_disabled(users[0].id, True)
        assert not await store.set_user_disabled("unknown", True)
        found = await store.get_user(users[0].id)
        assert found is not None and found.disabled

    async def test_mapped_role(self, store: Store) -> None:
        assert await store.get_mapped_role("u-1") == MappedRole(user_id="u-1")
        mapped = MappedRole("u-1", mapped_role="admin", updated_at=T0)
        await store.save_mapped_role(mapped)
        assert await store.get_mapped_role("u-1") == mapped
        await store.save_mapped_role(MappedRole("u-1", updated_at=T0 + 1))
        assert await store.get_mapped_role("u-1") == MappedRole("u-1", updated_at=T0 + 1)

    async def test_list_live_sessions(self, store: Store) -> None:
        await store.create_session(session(1, user_id="u-1", provider_id="acme", last_seen_at=T0))
        await store.create_session(session(2, user_id="u-2", provider_id="other", last_seen_at=T0 + 5))
        await store.create_session(session(3, user_id="u-1", provider_id="acme", last_seen_at=T0 + 2))
        await store.end_session("sid-3", T0 + 3, "admin")
        assert [s.id for s in await store.list_live_sessions(T0 + 10)] == ["sid-2", "sid-1"]
        assert [s.id for s in await store.list_live_sessions(T0 + 10, user_id="u-1")] == ["sid-1"]
        assert [s.id for s in await store.list_live_sessions(T0 + 10, provider_id="other")] == ["sid-2"]
        assert [s.id for s in await store.list_live_sessions(T0 + 10, limit=1)] == ["sid-2"]
        far = T0 + 10 * 86400  # past every session's absolute expiry
        assert await store.list_live_sessions(far) == []

    # -- failed client authentications -------------------------------------------------------------
    async def test_auth_failures_count_per_key_until_forgotten(self, store: Store) -> None:
        keys = ("client:portal", "ip:10.0.0.1")
        assert await store.get_auth_failures(keys, T0) == [AuthFailures(k) for k in keys]
        await store.record_auth_failure(keys, T0, 60)
        recorded = await store.record_auth_failure(keys[:1], T0 + 10, 60)
        assert recorded == [AuthFailures("client:portal", 2, T0 + 10)]
        assert await store.get_auth_failures(keys, T0 + 20) == [
            AuthFailures("client:portal", 2, T0 + 10), AuthFailures("ip:10.0.0.1", 1, T0),
        ]  # fmt: skip
        # `forget_after` seconds without a failure: the counter reads as zero, and a new failure starts at 1.
        assert (await store.get_auth_failures(keys, T0 + 60))[1] == AuthFailures("ip:10.0.0.1")
        assert await store.record_auth_failure(keys[1:], T0 + 61, 60) == [AuthFailures("ip:10.0.0.1", 1, T0 + 61)]
        await store.clear_auth_failures(keys)
        assert await store.get_auth_failures(keys, T0 + 62) == [AuthFailures(k) for k in keys]

    async def test_concurrent_auth_failures_are_all_counted(self, store: Store) -> None:
        await asyncio.gather(*(store.record_auth_failure(("ip:a",), T0 + n, 3600) for n in range(RACERS)))
        [record] = await store.get_auth_failures(("ip:a",), T0 + RACERS)
        assert record.failures == RACERS

    async def test_purge_forgets_idle_auth_failures(self, store: Store) -> None:
        await store.record_auth_failure(("ip:old",), T0, 60)
        await store.record_auth_failure(("ip:new",), T0 + 100, 60)
        await store.purge_expired(T0 + 120)
        await store.clear_auth_failures(())  # clearing nothing is a no-op
        # Purged or not, an idle counter restarts at 1; the fresh one keeps counting.
        assert (await store.record_auth_failure(("ip:old",), T0 + 121, 60))[0].failures == 1
        assert (await store.record_auth_failure(("ip:new",), T0 + 121, 60))[0].failures == 2
