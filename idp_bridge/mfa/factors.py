"""Checking second factors against the store: TOTP (with replay protection), recovery codes, email/SMS codes,
and enrollment. Every check respects the per-authenticator throttle and lock; none renders anything."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass

from idp_bridge.mfa import recovery_codes, totp
from idp_bridge.mfa.otp_delivery import DeliveryFailed, mask_email, mask_phone, new_code, send_email, send_sms
from idp_bridge.mfa.secret_box import SecretBoxError
from idp_bridge.mfa.services import MFAServices
from idp_bridge.store.protocol.core import Store
from idp_bridge.store.records.mfa import (
    OTPChallenge,
    OTPCheck,
    OTPDelivery,
    OTPSendClaim,
    OTPSendLimits,
    RecoveryCodeUse,
    TOTPAuthenticator,
)
from policies.mfa_attempts import is_locked, wait_seconds


class Verdict(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    REPLAYED = "replayed"  # a TOTP time step or recovery code already used
    LOCKED = "locked"  # the authenticator is disabled until reset
    THROTTLED = "throttled"  # too soon after the last failures
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # an email/SMS code after too many wrong entries
    NOT_ENROLLED = "not_enrolled"
    CHANGED = "changed"  # the enrollment changed meanwhile (another tab)


@dataclass(frozen=True)
class Check:
    verdict: Verdict
    wait: int = 0
    attempts_left: int = 0
    failures: int = 0
    codes: tuple[str, ...] = ()  # new recovery codes (enrollment)


async def _gate(mfa: MFAServices, store: Store, user_id: str, factor: str, now: float) -> Check | None:
    state = await store.get_failures(user_id, factor)
    if state.locked or is_locked(mfa.attempts, state.failures):
        return Check(Verdict.LOCKED, failures=state.failures)
    wait = wait_seconds(mfa.attempts, state.failures, state.last_failure_at, now)
    if wait:
        return Check(Verdict.THROTTLED, wait=wait, failures=state.failures)
    return None


async def _failed(
    mfa: MFAServices, store: Store, user_id: str, factor: str, verdict: Verdict, now: float, left: int = 0
) -> Check:
    state = await store.record_failure(user_id, factor, now, mfa.attempts.max_failures)
    if state.locked:
        return Check(Verdict.LOCKED, failures=state.failures)
    return Check(verdict, attempts_left=left, failures=state.failures)


def open_secret(mfa: MFAServices, sealed: str, user_id: str) -> tuple[str, bool] | None:
    try:
        return mfa.box.open(sealed, user_id)
    except SecretBoxError:
        return None


async def check_totp(mfa: MFAServices, store: Store, user_id: str, code: str, now: float) -> Check:
    authenticator = await store.get_totp(user_id)
    if authenticator is None or authenticator.secret is None:
        return Check(Verdict.NOT_ENROLLED)
    gate = await _gate(mfa, store, user_id, "totp", now)
    if gate is not None:
        return gate
    opened = open_secret(mfa, authenticator.secret, user_id)
    if opened is None:
        return Check(Verdict.NOT_ENROLLED)  # undecryptable (key lost): the admin resets, the user enrolls again
    secret, reseal = opened
    timecode = totp.matching_timecode(secret, code, now)
    if timecode is None:
        return await _failed(mfa, store, user_id, "totp", Verdict.WRONG, now)
    if not await store.accept_totp_timecode(user_id, authenticator.secret, timecode):
        return Check(Verdict.REPLAYED)
    await store.clear_failures(user_id, "totp")
    if reseal:
        await store.replace_totp_secret(user_id, authenticator.secret, mfa.box.seal(secret, user_id))
    return Check(Verdict.OK)


async def pending_enrollment(mfa: MFAServices, store: Store, user_id: str, now: float) -> tuple[TOTPAuthenticator, str]:
    """The authenticator with a pending secret (made now unless one is pending), and that secret in the clear."""
    authenticator = await store.begin_totp_enrollment(user_id, mfa.box.seal(totp.new_secret(), user_id), now)
    opened = open_secret(mfa, authenticator.pending_secret, user_id) if authenticator.pending_secret else None
    if opened is None:  # sealed with a key that is gone: start over
        await store.delete_totp(user_id)
        authenticator = await store.begin_totp_enrollment(user_id, mfa.box.seal(totp.new_secret(), user_id), now)
        opened = open_secret(mfa, authenticator.pending_secret, user_id) if authenticator.pending_secret else None
    if opened is None:
        # begin_totp_enrollment always leaves a pending secret sealed with the current key; anything else is a bug.
        raise RuntimeError("TOTP enrollment left no readable pending secret")
    return authenticator, opened[0]


async def confirm_enrollment(mfa: MFAServices, store: Store, user_id: str, code: str, now: float) -> Check:
    """Activate the pending secret if `code` matches it; the code's time step is then used up. The old device
    stops working, remembered devices are forgotten, failures cleared, new recovery codes issued."""
    authenticator = await store.get_totp(user_id)
    if authenticator is None or authenticator.pending_secret is None:
        return Check(Verdict.CHANGED)
    opened = open_secret(mfa, authenticator.pending_secret, user_id)
    if opened is None:
        return Check(Verdict.CHANGED)
    timecode = totp.matching_timecode(opened[0], code, now)
    if timecode is None:
        return Check(Verdict.WRONG)
    if not await store.confirm_totp_enrollment(user_id, authenticator.pending_secret, timecode, now):
        return Check(Verdict.CHANGED)
    await store.bump_mfa_generation(user_id, now)
    await store.delete_remembered_devices(user_id)
    await store.clear_failures(user_id, "totp")
    codes = await issue_recovery_codes(mfa, store, user_id, now)
    return Check(Verdict.OK, codes=tuple(codes))


async def issue_recovery_codes(mfa: MFAServices, store: Store, user_id: str, now: float) -> list[str]:
    codes = recovery_codes.generate()
    hashes = [recovery_codes.code_hash(mfa.box, user_id, recovery_codes.normalize(c) or "") for c in codes]
    await store.replace_recovery_codes(user_id, hashes, now)
    await store.clear_failures(user_id, "recovery")
    return codes


# A re-submission of the code accepted this recently is a double-click, not a guess: refused (it never signs in
# twice) but not counted toward the lock. Later replays count, as a guess of a leaked, spent code would.
RECOVERY_REPLAY_GRACE_SECONDS = 10


async def check_recovery_code(mfa: MFAServices, store: Store, user_id: str, code: str, now: float) -> Check:
    gate = await _gate(mfa, store, user_id, "recovery", now)
    if gate is not None:
        return gate
    code_hash = recovery_codes.code_hash(mfa.box, user_id, code)
    use = await store.use_recovery_code(user_id, code_hash, now)
    if use is RecoveryCodeUse.OK:
        await store.clear_failures(user_id, "recovery")
        return Check(Verdict.OK, attempts_left=await store.count_recovery_codes(user_id))
    if use is RecoveryCodeUse.USED:
        used_at = await store.recovery_code_used_at(user_id, code_hash)
        if used_at is not None and 0 <= now - used_at <= RECOVERY_REPLAY_GRACE_SECONDS:
            return Check(Verdict.REPLAYED, failures=(await store.get_failures(user_id, "recovery")).failures)
    return await _failed(
        mfa, store, user_id, "recovery", Verdict.REPLAYED if use is RecoveryCodeUse.USED else Verdict.WRONG, now
    )


@dataclass(frozen=True)
class Sent:
    challenge: OTPChallenge | None
    destination: str  # masked
    failure: str | None = None
    refused: OTPSendClaim | None = None  # a send cap held: nothing was sent


def send_limits(mfa: MFAServices) -> OTPSendLimits:
    config = mfa.config
    return OTPSendLimits(
        window_seconds=config.otp_send_window_seconds, per_account=config.otp_max_sends_per_account,
        per_ip=config.otp_max_sends_per_ip, overall=config.otp_max_sends_global,
        min_interval_seconds=config.otp_resend_cooldown_seconds,
    )  # fmt: skip


async def send_otp(
    mfa: MFAServices, store: Store, user_id: str, channel: str, to: str, now: float, ip: str
) -> Sent:
    """Make, store and deliver a new email/SMS code (replacing any earlier one) unless a send cap holds (then
    nothing is sent or replaced); log the delivery, never the code."""
    masked = mask_email(to) if channel == "email" else mask_phone(to)
    claim = await store.claim_otp_send(user_id, ip, now, send_limits(mfa))
    if not claim.allowed:
        return Sent(None, masked, refused=claim)
    code = new_code()
    challenge_id = secrets.token_urlsafe(16)
    config = mfa.config
    challenge = OTPChallenge(
        id=challenge_id, user_id=user_id, channel=channel, code_hash=mfa.box.keyed_hash("otp", challenge_id, code),
        created_at=now, expires_at=now + config.otp_lifetime_seconds,
    )  # fmt: skip
    await store.put_otp_challenge(challenge)
    minutes = max(1, config.otp_lifetime_seconds // 60)
    failure: str | None = None
    try:
        if channel == "email" and config.email is not None:
            await send_email(config.email, to, code, minutes, config.issuer_label)
        elif channel == "sms" and config.sms is not None:
            await send_sms(config.sms, mfa.http, to, code, minutes, config.issuer_label)
        else:
            failure = f"{channel} delivery is not configured"
    except DeliveryFailed as exc:
        failure = exc.detail
    await store.append_otp_delivery(
        OTPDelivery(
            id=secrets.token_hex(8), at=now, user_id=user_id, channel=channel, destination=masked,
            outcome="failed" if failure else "sent", detail=failure,
        )
    )  # fmt: skip
    return Sent(challenge, masked, failure)


async def check_otp(
    mfa: MFAServices, store: Store, user_id: str, channel: str, challenge_id: str | None, code: str, now: float
) -> Check:
    challenge = await store.get_otp_challenge(challenge_id) if challenge_id else None
    # A code that is spent or out of date needs no throttle: the answer is "request a new one" either way.
    if challenge is None or challenge_id is None or now >= challenge.expires_at:
        return Check(Verdict.EXPIRED)
    if challenge.used_at is not None:
        return Check(Verdict.REPLAYED)
    if challenge.attempts >= mfa.config.otp_max_attempts:
        return Check(Verdict.EXHAUSTED)
    gate = await _gate(mfa, store, user_id, channel, now)
    if gate is not None:
        return gate
    code_hash = mfa.box.keyed_hash("otp", challenge_id, code)
    attempt = await store.check_otp_challenge(challenge_id, code_hash, now, mfa.config.otp_max_attempts)
    if attempt.status is OTPCheck.OK:
        await store.clear_failures(user_id, channel)
        return Check(Verdict.OK)
    if attempt.status is OTPCheck.WRONG:
        return await _failed(mfa, store, user_id, channel, Verdict.WRONG, now, attempt.attempts_left)
    if attempt.status is OTPCheck.EXHAUSTED:
        return await _failed(mfa, store, user_id, channel, Verdict.EXHAUSTED, now)
    if attempt.status is OTPCheck.USED:
        return Check(Verdict.REPLAYED)
    return Check(Verdict.EXPIRED)
