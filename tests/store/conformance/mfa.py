"""The MFAStore conformance suite (store/protocol/mfa.py): every backend passes it unchanged.

conftest.py runs it once per backend in its BACKENDS table, each test on a FRESH, opened store; test_mfa.py collects
it. Every single-use thing is raced by RACERS concurrent callers: exactly one wins.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from typing import Any

from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.core import secret_hash
from idp_bridge.store.records.mfa import (
    OTPChallenge,
    OTPCheck,
    OTPDelivery,
    OTPSendClaim,
    OTPSendLimits,
    PendingLogin,
    RecoveryCodeUse,
    RememberedDevice,
    TechnicianMFASettings,
)
from idp_bridge.store.records.session_rules import SessionIdentity
from tests.store.conformance.samples import RACERS, T0

CHALLENGE = OTPChallenge(
    id="ch-1", user_id="u-1", channel="email", code_hash="h-123456", created_at=T0, expires_at=T0 + 180
)
DEVICE = RememberedDevice(
    id="d-1", token_hash=secret_hash("device-1"), user_id="u-1", generation=3, created_at=T0,
    expires_at=T0 + 30 * 86400, user_agent="Mozilla/5.0",
)  # fmt: skip
PENDING = PendingLogin(
    token_hash=secret_hash("pending-1"), user_id="u-1", auth_request_id="ar-1", provider_id="acme",
    csrf_token="csrf-1", upstream_amr=("pwd",), upstream_auth_time=int(T0), created_at=T0, expires_at=T0 + 600,
)  # fmt: skip


async def race(*calls: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*calls))


class MFAStoreConformance:
    # -- settings ----------------------------------------------------------------------------------
    async def test_settings_default_then_saved(self, store: Store) -> None:
        assert await store.get_mfa_settings("u-1") == TechnicianMFASettings(user_id="u-1")
        saved = TechnicianMFASettings(
            user_id="u-1", role="admin", enforced=True, choice="on", method="sms", phone="+15550001",
            email="a@example.com", generation=0, updated_at=T0,
        )  # fmt: skip
        await store.save_mfa_settings(saved)
        assert await store.get_mfa_settings("u-1") == saved
        await store.save_mfa_settings(dataclasses.replace(saved, enforced=False, method=None))
        assert await store.get_mfa_settings("u-1") == dataclasses.replace(saved, enforced=False, method=None)

    async def test_generation_only_moves_forward(self, store: Store) -> None:
        assert await store.bump_mfa_generation("u-1", T0) == 1
        results = await race(*(store.bump_mfa_generation("u-1", T0) for _ in range(RACERS)))
        assert sorted(results) == list(range(2, RACERS + 2))
        stale = TechnicianMFASettings(user_id="u-1", role="auditor", generation=0, updated_at=T0)
        await store.save_mfa_settings(stale)  # a save from a stale read never moves the generation back
        settings = await store.get_mfa_settings("u-1")
        assert (settings.role, settings.generation) == ("auditor", RACERS + 1)

    # -- TOTP --------------------------------------------------------------------------------------
    async def test_enrollment_keeps_the_first_pending_secret(self, store: Store) -> None:
        first = await store.begin_totp_enrollment("u-1", "enc-A", T0)
        again = await store.begin_totp_enrollment("u-1", "enc-B", T0 + 5)
        assert (first.pending_secret, again.pending_secret, again.secret) == ("enc-A", "enc-A", None)

    async def test_confirm_makes_the_enrollment_code_unusable(self, store: Store) -> None:
        await store.begin_totp_enrollment("u-1", "enc-A", T0)
        assert not await store.confirm_totp_enrollment("u-1", "enc-other", 100, T0)
        assert await store.confirm_totp_enrollment("u-1", "enc-A", 100, T0)
        assert not await store.confirm_totp_enrollment("u-1", "enc-A", 100, T0)  # nothing pending any more
        totp = await store.get_totp("u-1")
        assert totp is not None and (totp.secret, totp.pending_secret, totp.last_timecode) == ("enc-A", None, 100)
        assert not await store.accept_totp_timecode("u-1", "enc-A", 100)  # the enrollment code cannot log in
        assert await store.accept_totp_timecode("u-1", "enc-A", 101)

    async def test_timecode_is_accepted_once_and_only_forward(self, store: Store) -> None:
        await store.begin_totp_enrollment("u-1", "enc-A", T0)
        await store.confirm_totp_enrollment("u-1", "enc-A", 100, T0)
        assert await store.accept_totp_timecode("u-1", "enc-A", 102)
        assert not await store.accept_totp_timecode("u-1", "enc-A", 102)
        assert not await store.accept_totp_timecode("u-1", "enc-A", 101)  # an older step, even if unused
        assert not await store.accept_totp_timecode("u-1", "enc-B", 103)  # another secret
        assert not await store.accept_totp_timecode("u-2", "enc-A", 103)

    async def test_racing_the_same_timecode_exactly_one_wins(self, store: Store) -> None:
        await store.begin_totp_enrollment("u-1", "enc-A", T0)
        await store.confirm_totp_enrollment("u-1", "enc-A", 100, T0)
        results = await race(*(store.accept_totp_timecode("u-1", "enc-A", 101) for _ in range(RACERS)))
        assert results.count(True) == 1

    async def test_reenrollment_keeps_the_old_secret_until_confirmed(self, store: Store) -> None:
        await store.begin_totp_enrollment("u-1", "enc-A", T0)
        await store.confirm_totp_enrollment("u-1", "enc-A", 100, T0)
        await store.begin_totp_enrollment("u-1", "enc-B", T0 + 60)
        assert await store.accept_totp_timecode("u-1", "enc-A", 103)
        assert await store.confirm_totp_enrollment("u-1", "enc-B", 104, T0 + 90)
        assert not await store.accept_totp_timecode("u-1", "enc-A", 105)  # the old device stopped working
        assert await store.replace_totp_secret("u-1", "enc-B", "enc-B2")
        assert not await store.replace_totp_secret("u-1", "enc-B", "enc-B3")
        assert await store.accept_totp_timecode("u-1", "enc-B2", 105)
        await store.delete_totp("u-1")
        assert await store.get_totp("u-1") is None

    # -- failures ----------------------------------------------------------------------------------
    async def test_failures_count_lock_and_clear(self, store: Store) -> None:
        states = [await store.record_failure("u-1", "totp", T0 + i, lock_after=3) for i in range(4)]
        assert [(s.failures, s.locked) for s in states] == [(1, False), (2, False), (3, True), (4, True)]
        assert states[-1].last_failure_at == T0 + 3
        assert (await store.get_failures("u-1", "recovery")).failures == 0  # per authenticator
        racing = await race(*(store.record_failure("u-2", "totp", T0, lock_after=100) for _ in range(RACERS)))
        assert sorted(s.failures for s in racing) == list(range(1, RACERS + 1))
        await store.clear_failures("u-1", "totp")
        assert await store.get_failures("u-1", "totp") == (await store.get_failures("nobody", "totp"))
        await store.clear_failures("u-2")
        assert (await store.get_failures("u-2", "totp")).failures == 0
        assert (await store.record_failure("u-3", "sms", T0, lock_after=1)).locked

    # -- recovery codes ----------------------------------------------------------------------------
    async def test_recovery_codes_work_once_and_are_replaced_whole(self, store: Store) -> None:
        await store.replace_recovery_codes("u-1", ["r1", "r2", "r3"], T0)
        assert await store.count_recovery_codes("u-1") == 3
        assert await store.use_recovery_code("u-1", "r1", T0) is RecoveryCodeUse.OK
        assert await store.use_recovery_code("u-1", "r1", T0) is RecoveryCodeUse.USED
        assert await store.use_recovery_code("u-2", "r2", T0) is RecoveryCodeUse.UNKNOWN  # another user's
        assert await store.count_recovery_codes("u-1") == 2
        await store.replace_recovery_codes("u-1", ["n1", "n2"], T0 + 1)
        assert await store.use_recovery_code("u-1", "r2", T0) is RecoveryCodeUse.UNKNOWN  # old set invalid
        assert await store.count_recovery_codes("u-1") == 2
        results = await race(*(store.use_recovery_code("u-1", "n1", T0) for _ in range(RACERS)))
        assert results.count(RecoveryCodeUse.OK) == 1
        await store.delete_recovery_codes("u-1")
        assert await store.count_recovery_codes("u-1") == 0

    async def test_recovery_code_used_at_says_when_a_code_of_the_set_was_used(self, store: Store) -> None:
        await store.replace_recovery_codes("u-1", ["r1", "r2"], T0)
        assert await store.recovery_code_used_at("u-1", "r1") is None  # unused
        assert await store.use_recovery_code("u-1", "r1", T0 + 5) is RecoveryCodeUse.OK
        assert await store.recovery_code_used_at("u-1", "r1") == T0 + 5
        assert await store.recovery_code_used_at("u-2", "r1") is None  # another user's
        assert await store.recovery_code_used_at("u-1", "zz") is None  # not in the set
        await store.replace_recovery_codes("u-1", ["n1"], T0 + 9)
        assert await store.recovery_code_used_at("u-1", "r1") is None  # the old set is gone

    # -- one-time codes ----------------------------------------------------------------------------
    async def test_otp_wrong_entries_then_exhausted(self, store: Store) -> None:
        await store.put_otp_challenge(CHALLENGE)
        checks = [await store.check_otp_challenge("ch-1", "h-000000", T0 + 1, 3) for _ in range(4)]
        assert [(c.status, c.attempts_left) for c in checks] == [
            (OTPCheck.WRONG, 2), (OTPCheck.WRONG, 1), (OTPCheck.EXHAUSTED, 0), (OTPCheck.EXHAUSTED, 0),
        ]  # fmt: skip
        assert (await store.check_otp_challenge("ch-1", "h-123456", T0 + 1, 3)).status is OTPCheck.EXHAUSTED

    async def test_otp_once_expiry_and_replacement(self, store: Store) -> None:
        await store.put_otp_challenge(CHALLENGE)
        assert (await store.check_otp_challenge("ch-1", "h-123456", T0 + 180, 3)).status is OTPCheck.EXPIRED
        await store.put_otp_challenge(dataclasses.replace(CHALLENGE, id="ch-2"))
        assert await store.get_otp_challenge("ch-1") is None  # a new code replaces the unused one
        assert (await store.check_otp_challenge("ch-1", "h-123456", T0, 3)).status is OTPCheck.UNKNOWN
        results = await race(*(store.check_otp_challenge("ch-2", "h-123456", T0 + 1, 3) for _ in range(RACERS)))
        assert [r.status for r in results].count(OTPCheck.OK) == 1
        assert {r.status for r in results} == {OTPCheck.OK, OTPCheck.USED}
        stored = await store.get_otp_challenge("ch-2")
        assert stored is not None and stored.used_at == T0 + 1

    async def test_delivery_log(self, store: Store) -> None:
        for i, outcome in enumerate(("sent", "failed")):
            await store.append_otp_delivery(
                OTPDelivery(id=f"dl-{i}", at=T0 + i, user_id="u-1", channel="sms", destination="+1•••01",
                            outcome=outcome, detail=None if outcome == "sent" else "HTTP 503")
            )  # fmt: skip
        await store.append_otp_delivery(OTPDelivery("dl-x", T0, "u-2", "email", "b•••@x", "sent"))
        log = await store.list_otp_deliveries("u-1")
        assert [(d.id, d.outcome, d.detail) for d in log] == [("dl-1", "failed", "HTTP 503"), ("dl-0", "sent", None)]
        assert len(await store.list_otp_deliveries()) == 3

    # -- email / SMS send caps ---------------------------------------------------------------------
    async def test_otp_send_caps_per_account_ip_and_overall_over_a_sliding_window(self, store: Store) -> None:
        limits = OTPSendLimits(window_seconds=900, per_account=2, per_ip=3, overall=4, min_interval_seconds=60)
        assert await store.claim_otp_send("u-1", "10.0.0.1", T0, limits) == OTPSendClaim(True)
        assert await store.claim_otp_send("u-1", "10.0.0.1", T0 + 30, limits) == OTPSendClaim(False, "interval", 30)
        assert await store.claim_otp_send("u-1", "10.0.0.1", T0 + 60, limits) == OTPSendClaim(True)
        # The account's cap: the oldest of its 2 sends leaves the window at T0 + 900.
        assert await store.claim_otp_send("u-1", "10.0.0.9", T0 + 200, limits) == OTPSendClaim(False, "account", 700)
        # The IP's cap (3, over all accounts), then the overall cap (4) from anywhere.
        assert (await store.claim_otp_send("u-2", "10.0.0.1", T0 + 200, limits)).allowed
        assert await store.claim_otp_send("u-3", "10.0.0.1", T0 + 300, limits) == OTPSendClaim(False, "ip", 600)
        assert (await store.claim_otp_send("u-3", "10.0.0.2", T0 + 300, limits)).allowed
        assert await store.claim_otp_send("u-4", "10.0.0.3", T0 + 300, limits) == OTPSendClaim(False, "overall", 600)
        # Peeking records nothing; refusals were not recorded either.
        assert await store.otp_send_wait("u-4", "10.0.0.3", T0 + 300, limits) == OTPSendClaim(False, "overall", 600)
        assert await store.otp_send_wait("u-1", "10.0.0.1", T0 + 960, limits) == OTPSendClaim(True)
        assert await store.claim_otp_send("u-1", "10.0.0.1", T0 + 960, limits) == OTPSendClaim(True)  # slid out

    async def test_otp_send_caps_hold_under_concurrent_claims(self, store: Store) -> None:
        limits = OTPSendLimits(window_seconds=900, per_account=100, per_ip=100, overall=3)
        results = await race(*(store.claim_otp_send(f"u-{i}", f"10.0.0.{i}", T0, limits) for i in range(RACERS)))
        assert sum(r.allowed for r in results) == 3

    # -- remembered devices ------------------------------------------------------------------------
    async def test_devices_capped_per_user_and_revocable(self, store: Store) -> None:
        for i in range(4):
            await store.put_remembered_device(
                dataclasses.replace(DEVICE, id=f"d-{i}", token_hash=f"t-{i}", created_at=T0 + i), keep=3
            )
        await store.put_remembered_device(dataclasses.replace(DEVICE, id="o-1", token_hash="o", user_id="u-2"), keep=3)
        assert [d.id for d in await store.list_remembered_devices("u-1", T0 + 10)] == ["d-3", "d-2", "d-1"]
        assert await store.get_remembered_device("t-0", T0) is None  # the oldest was forgotten
        found = await store.get_remembered_device("t-3", T0 + 10)
        assert found == dataclasses.replace(DEVICE, id="d-3", token_hash="t-3", created_at=T0 + 3)
        assert await store.get_remembered_device("t-3", DEVICE.expires_at) is None
        assert not await store.delete_remembered_device("u-2", "d-3")  # not theirs
        assert await store.delete_remembered_device("u-1", "d-3")
        await store.touch_remembered_device("d-2", T0 + 20)
        assert (await store.list_remembered_devices("u-1", T0))[0].last_used_at == T0 + 20
        assert await store.delete_remembered_devices("u-1") == 2
        assert [d.id for d in await store.list_remembered_devices("u-2", T0)] == ["o-1"]

    # -- pending logins ----------------------------------------------------------------------------
    async def test_pending_login_round_trip_and_single_take(self, store: Store) -> None:
        await store.put_pending_login(PENDING)
        assert await store.get_pending_login(PENDING.token_hash, T0) == PENDING
        await store.set_pending_challenge(PENDING.token_hash, "ch-9")
        assert await store.mark_pending_factor(PENDING.token_hash, ("otp",), "totp", T0 + 5)
        assert not await store.mark_pending_factor(PENDING.token_hash, ("sms",), "sms", T0 + 6)
        expected = dataclasses.replace(
            PENDING, challenge_id="ch-9", factor_amr=("otp",), factor_method="totp", factor_at=T0 + 5
        )
        assert await store.get_pending_login(PENDING.token_hash, T0) == expected
        results = await race(*(store.take_pending_login(PENDING.token_hash, T0 + 6) for _ in range(RACERS)))
        assert [r for r in results if r is not None] == [expected]

    async def test_pending_login_carries_the_identity_facts_of_its_login(self, store: Store) -> None:
        facts = SessionIdentity(groups=("office",), tenant="tid-1", roles=("Technician",), groups_overage=False)
        await store.put_pending_login(dataclasses.replace(PENDING, identity=facts))
        found = await store.get_pending_login(PENDING.token_hash, T0)
        assert found is not None and found.identity == facts
        taken = await store.take_pending_login(PENDING.token_hash, T0 + 1)
        assert taken is not None and taken.identity == facts
        await store.put_pending_login(dataclasses.replace(PENDING, token_hash=secret_hash("pending-2")))
        without = await store.get_pending_login(secret_hash("pending-2"), T0)
        assert without is not None and without.identity is None  # a step-up of a live session carries none

    async def test_pending_login_expires(self, store: Store) -> None:
        await store.put_pending_login(PENDING)
        assert await store.get_pending_login(PENDING.token_hash, PENDING.expires_at) is None
        assert not await store.mark_pending_factor(PENDING.token_hash, ("otp",), "totp", PENDING.expires_at)
        assert await store.take_pending_login(PENDING.token_hash, PENDING.expires_at) is None
        await store.put_pending_login(dataclasses.replace(PENDING, token_hash="other"))
        assert await store.delete_pending_logins("u-1") == 1

    async def test_purge_removes_expired_mfa_records(self, store: Store) -> None:
        await store.put_pending_login(PENDING)
        await store.put_otp_challenge(CHALLENGE)
        await store.put_remembered_device(DEVICE, keep=5)
        await store.purge_expired(T0 + 1)
        assert await store.get_otp_challenge("ch-1") is not None
        await store.purge_expired(DEVICE.expires_at)
        assert await store.get_otp_challenge("ch-1") is None
        assert await store.get_pending_login(PENDING.token_hash, T0) is None
        assert await store.list_remembered_devices("u-1", T0) == []
