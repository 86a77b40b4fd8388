"""The MFA records the store keeps: technician settings, authenticators, codes, devices, pending logins.

Secrets are never stored in the clear: TOTP secrets are encrypted (mfa.secret_box), recovery codes, one-time codes,
device and pending-login tokens are kept as keyed or plain hashes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from idp_bridge.store.records.session_rules import SessionIdentity


@dataclass(frozen=True)
class TechnicianMFASettings:
    """A technician's local role and MFA settings (the effective role also counts the role mapped from upstream
    groups: idp_bridge/roles/effective.py). `generation` changes whenever the MFA enrollment is reconfigured or reset;
    remembered devices are bound to it. `method` None follows mfa.default_method; `choice` is the technician's own
    on/off (None: follow policy)."""

    user_id: str
    role: str = "technician"
    enforced: bool = False
    choice: str | None = None
    method: str | None = None
    phone: str | None = None
    email: str | None = None
    generation: int = 0
    updated_at: float = 0.0


@dataclass(frozen=True)
class TOTPAuthenticator:
    """One technician's authenticator app. `secret` (encrypted) is the confirmed one, None until enrollment is
    confirmed; `pending_secret` (encrypted) is being enrolled. `last_timecode` is the last accepted time step."""

    user_id: str
    secret: str | None
    pending_secret: str | None
    last_timecode: int
    created_at: float
    confirmed_at: float | None = None


@dataclass(frozen=True)
class FailureState:
    """Consecutive failures of one authenticator (factor: "totp", "recovery", "email", "sms")."""

    failures: int = 0
    last_failure_at: float | None = None
    locked: bool = False


class RecoveryCodeUse(enum.Enum):
    OK = "ok"
    USED = "used"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OTPChallenge:
    """An email or SMS code sent for one pending login; `code_hash` is a keyed hash of the 6 digits."""

    id: str
    user_id: str
    channel: str
    code_hash: str
    created_at: float
    expires_at: float
    attempts: int = 0
    used_at: float | None = None


class OTPCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # the code did not match; attempts left
    EXHAUSTED = "exhausted"  # the code is spent (too many wrong entries): request a new one
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OTPAttempt:
    status: OTPCheck
    attempts_left: int = 0


@dataclass(frozen=True)
class OTPDelivery:
    """One entry of the delivery log: never the code itself, the destination masked."""

    id: str
    at: float
    user_id: str
    channel: str
    destination: str
    outcome: str  # "sent" | "failed"
    detail: str | None = None


@dataclass(frozen=True)
class RememberedDevice:
    """A browser a technician chose to remember; keyed on the hash of the token in its cookie."""

    id: str
    token_hash: str
    user_id: str
    generation: int
    created_at: float
    expires_at: float
    user_agent: str | None = None
    last_used_at: float | None = None


@dataclass(frozen=True)
class PendingLogin:
    """A login between the first factor (upstream or an existing session) and the second: no session exists yet.

    Keyed on the hash of the token in the browser's pending-login cookie. `upstream_amr`/`upstream_auth_time`
    describe the upstream login; `step_up_session_id` names a live session being stepped up instead. Once a
    factor succeeds, `factor_amr` and `factor_at` record it (the login may still show recovery codes first).
    `identity` is what the upstream login said of the account (groups, tenant, app roles), handed to the session
    the login opens; None when stepping up a live session (it has its own) or for a login parked before pending
    logins kept it.
    """

    token_hash: str
    user_id: str
    auth_request_id: str
    provider_id: str
    csrf_token: str
    upstream_amr: tuple[str, ...]
    upstream_auth_time: int
    created_at: float
    expires_at: float
    step_up_session_id: str | None = None
    challenge_id: str | None = None
    factor_amr: tuple[str, ...] = ()
    factor_at: float | None = None
    factor_method: str | None = None
    identity: SessionIdentity | None = None


@dataclass(frozen=True)
class OTPSendLimits:
    """Caps on sending email/SMS codes, over a sliding window of `window_seconds`: per account, per client IP and
    over all accounts; and the least time between two sends to one account."""

    window_seconds: int
    per_account: int
    per_ip: int
    overall: int
    min_interval_seconds: int = 0


@dataclass(frozen=True)
class OTPSendClaim:
    """Whether a code may be sent now; if not, which cap holds (`interval`, `account`, `ip`, `overall`) and in how
    many seconds a send is possible again."""

    allowed: bool
    limit: str | None = None
    retry_after: int = 0
