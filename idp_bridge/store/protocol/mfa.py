"""The MFA part of the Store protocol; `Store` inherits it, every backend implements it.

Rules on top of store.protocol.core's: every single-use thing (a TOTP time step, a recovery code, an email/SMS code, a
pending login) is consumed atomically, so that of N concurrent callers exactly one succeeds; failure counters
are updated atomically too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from idp_bridge.store.records.mfa import (
    FailureState,
    OTPAttempt,
    OTPChallenge,
    OTPDelivery,
    OTPSendClaim,
    OTPSendLimits,
    PendingLogin,
    RecoveryCodeUse,
    RememberedDevice,
    TechnicianMFASettings,
    TOTPAuthenticator,
)


class MFAStore(Protocol):
    # -- technician settings -----------------------------------------------------------------------
    async def get_mfa_settings(self, user_id: str) -> TechnicianMFASettings:
        """The technician's settings; defaults (generation 0) when none were saved."""

    async def save_mfa_settings(self, settings: TechnicianMFASettings) -> None:
        """Insert or replace the settings, but never move `generation` backwards (use bump_mfa_generation)."""

    async def bump_mfa_generation(self, user_id: str, now: float) -> int:
        """Atomically increment the technician's enrollment generation; returns the new value."""

    async def find_users(self, query: str) -> Sequence[str]:
        """Ids of users whose id or email equals `query` (for admin commands)."""

    # -- TOTP authenticator ------------------------------------------------------------------------
    async def get_totp(self, user_id: str) -> TOTPAuthenticator | None: ...

    async def begin_totp_enrollment(self, user_id: str, encrypted_secret: str, now: float) -> TOTPAuthenticator:
        """Set a pending secret unless one is pending already (then keep it: a reload shows the same QR code);
        returns the authenticator as stored. Atomic."""

    async def confirm_totp_enrollment(
        self, user_id: str, encrypted_pending: str, timecode: int, now: float
    ) -> bool:
        """Make the pending secret (still `encrypted_pending`) the active one and record `timecode` as used, so
        the enrollment code can never log in. False when the pending secret changed meanwhile."""

    async def accept_totp_timecode(self, user_id: str, encrypted_secret: str, timecode: int) -> bool:
        """Compare-and-set: record `timecode` as the last accepted one only if the active secret is still
        `encrypted_secret` and `timecode` is later than the last accepted one. Exactly one of N concurrent
        callers with the same time step gets True."""

    async def replace_totp_secret(self, user_id: str, old: str, new: str) -> bool:
        """Re-encrypt in place (key rotation): only while the active secret is still `old`."""

    async def delete_totp(self, user_id: str) -> None: ...

    # -- consecutive failures, per authenticator ----------------------------------------------------
    async def get_failures(self, user_id: str, factor: str) -> FailureState: ...

    async def record_failure(self, user_id: str, factor: str, now: float, lock_after: int) -> FailureState:
        """Atomically count one failure; the authenticator is locked once `lock_after` is reached."""

    async def clear_failures(self, user_id: str, factor: str | None = None) -> None:
        """Reset one factor's counter and lock (or every factor's when None)."""

    # -- recovery codes ----------------------------------------------------------------------------
    async def replace_recovery_codes(self, user_id: str, code_hashes: Sequence[str], now: float) -> None:
        """The new set replaces every previous code, used or not, atomically."""

    async def use_recovery_code(self, user_id: str, code_hash: str, now: float) -> RecoveryCodeUse:
        """Consume a code atomically: OK for the first use, USED after, UNKNOWN if not in the current set."""

    async def count_recovery_codes(self, user_id: str) -> int:
        """Unused codes left."""

    async def recovery_code_used_at(self, user_id: str, code_hash: str) -> float | None:
        """When this code of the current set was used; None when unused or not in the set."""

    async def delete_recovery_codes(self, user_id: str) -> None: ...

    # -- email / SMS one-time codes ----------------------------------------------------------------
    async def put_otp_challenge(self, challenge: OTPChallenge) -> None:
        """Store a new code; any earlier unused code of the same user stops working."""

    async def get_otp_challenge(self, challenge_id: str) -> OTPChallenge | None: ...

    async def check_otp_challenge(
        self, challenge_id: str, code_hash: str, now: float, max_attempts: int
    ) -> OTPAttempt:
        """Atomically spend one attempt: OK (the code is then used), WRONG with attempts left, EXHAUSTED once
        `max_attempts` wrong entries were made, EXPIRED, USED or UNKNOWN."""

    async def append_otp_delivery(self, delivery: OTPDelivery) -> None: ...

    async def list_otp_deliveries(self, user_id: str | None = None, limit: int = 100) -> Sequence[OTPDelivery]:
        """Newest first."""

    async def claim_otp_send(self, user_id: str, ip: str, now: float, limits: OTPSendLimits) -> OTPSendClaim:
        """Atomically: unless a cap of `limits` is reached (sends recorded in the window by this account, by this IP,
        by everyone; or this account's last send too recent), record a send now and allow it; else refuse with the
        seconds until the blocking cap frees a slot. N concurrent callers never exceed a cap, across processes."""

    async def otp_send_wait(self, user_id: str, ip: str, now: float, limits: OTPSendLimits) -> OTPSendClaim:
        """What claim_otp_send would answer now, recording nothing (to tell the technician when to ask)."""

    # -- remembered devices ------------------------------------------------------------------------
    async def put_remembered_device(self, device: RememberedDevice, keep: int) -> None:
        """Add a device; beyond `keep` devices of that user, the oldest are forgotten (atomically)."""

    async def get_remembered_device(self, token_hash: str, now: float) -> RememberedDevice | None: ...

    async def touch_remembered_device(self, device_id: str, now: float) -> None: ...

    async def list_remembered_devices(self, user_id: str, now: float) -> Sequence[RememberedDevice]:
        """Unexpired devices of a user, newest first."""

    async def delete_remembered_device(self, user_id: str, device_id: str) -> bool:
        """Forget one device of this user; False when it was not theirs or unknown."""

    async def delete_remembered_devices(self, user_id: str) -> int: ...

    # -- pending logins (between first and second factor) -------------------------------------------
    async def put_pending_login(self, pending: PendingLogin) -> None: ...

    async def get_pending_login(self, token_hash: str, now: float) -> PendingLogin | None: ...

    async def set_pending_challenge(self, token_hash: str, challenge_id: str) -> None: ...

    async def mark_pending_factor(
        self, token_hash: str, amr: tuple[str, ...], method: str, now: float
    ) -> bool:
        """Record that a second factor succeeded for this pending login (first call only)."""

    async def take_pending_login(self, token_hash: str, now: float) -> PendingLogin | None:
        """Atomically remove and return it; None when unknown, already taken or expired."""

    async def delete_pending_logins(self, user_id: str) -> int: ...
