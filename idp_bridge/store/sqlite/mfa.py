"""SQLiteMFAMixin: the MFAStore methods of SQLiteStore (single statements or BEGIN IMMEDIATE transactions)."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from idp_bridge.store.protocol.core import StoreError
from idp_bridge.store.records.mfa import (
    FailureState,
    OTPAttempt,
    OTPChallenge,
    OTPCheck,
    OTPDelivery,
    OTPSendClaim,
    OTPSendLimits,
    PendingLogin,
    RecoveryCodeUse,
    RememberedDevice,
    TechnicianMFASettings,
    TOTPAuthenticator,
)
from idp_bridge.store.sqlite.session_rules import identity_from_json, identity_json


def _settings(row: sqlite3.Row) -> TechnicianMFASettings:
    return TechnicianMFASettings(
        user_id=row["user_id"], role=row["role"], enforced=bool(row["enforced"]), choice=row["choice"],
        method=row["method"], phone=row["phone"], email=row["email"], generation=row["generation"],
        updated_at=row["updated_at"],
    )  # fmt: skip


def _pending(row: sqlite3.Row) -> PendingLogin:
    values = {name: row[name] for name in row.keys()}  # noqa: SIM118 - sqlite3.Row has no items()
    values["upstream_amr"] = tuple(json.loads(values["upstream_amr"]))
    values["factor_amr"] = tuple(json.loads(values["factor_amr"]))
    values["identity"] = identity_from_json(values["identity"]) if values["identity"] is not None else None
    return PendingLogin(**values)


def _wait(at: float | None, after: float, now: float) -> int:
    """Whole seconds until `at + after` (at least 1 while it is still ahead)."""
    return max(1, math.ceil(at + after - now)) if at is not None else 1


def _send_claim(conn: sqlite3.Connection, user_id: str, ip: str, now: float, limits: OTPSendLimits) -> OTPSendClaim:
    since = now - limits.window_seconds
    last = conn.execute("SELECT max(at) FROM otp_sends WHERE user_id = ?", (user_id,)).fetchone()[0]
    if last is not None and now - last < limits.min_interval_seconds:
        return OTPSendClaim(False, "interval", _wait(last, limits.min_interval_seconds, now))
    scopes = (("account", "user_id = ? AND", (user_id,), limits.per_account),
              ("ip", "ip = ? AND", (ip,), limits.per_ip), ("overall", "", (), limits.overall))  # fmt: skip
    for name, where, params, cap in scopes:
        # The send that must leave the window before another fits: the cap-th newest.
        row = conn.execute(
            f"SELECT at FROM otp_sends WHERE {where} at > ? ORDER BY at DESC LIMIT 1 OFFSET ?",  # noqa: S608
            (*params, since, cap - 1),
        ).fetchone()
        if row is not None:
            return OTPSendClaim(False, name, _wait(row[0], limits.window_seconds, now))
    return OTPSendClaim(True)


class SQLiteMFAMixin:
    """Mixed into SQLiteStore, whose plumbing (`_fetchall`, `_write`, `_transaction`) these methods use."""

    if TYPE_CHECKING:

        def _fetchall(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> list[sqlite3.Row]: ...

        def _fetchone(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> sqlite3.Row | None: ...

        def _write(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> int: ...

        def _transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    # -- technician settings -----------------------------------------------------------------------
    async def get_mfa_settings(self, user_id: str) -> TechnicianMFASettings:
        row = self._fetchone("SELECT * FROM mfa_settings WHERE user_id = ?", (user_id,))
        return TechnicianMFASettings(user_id=user_id) if row is None else _settings(row)

    async def save_mfa_settings(self, settings: TechnicianMFASettings) -> None:
        self._write(
            """INSERT INTO mfa_settings (user_id, role, enforced, choice, method, phone, email, generation, updated_at)
            VALUES (:user_id, :role, :enforced, :choice, :method, :phone, :email, :generation, :updated_at)
            ON CONFLICT (user_id) DO UPDATE SET role = excluded.role, enforced = excluded.enforced,
                choice = excluded.choice, method = excluded.method, phone = excluded.phone, email = excluded.email,
                generation = max(generation, excluded.generation), updated_at = excluded.updated_at""",
            {**settings.__dict__, "enforced": int(settings.enforced)},
        )

    async def bump_mfa_generation(self, user_id: str, now: float) -> int:
        row = self._fetchone(
            """INSERT INTO mfa_settings (user_id, role, generation, updated_at) VALUES (?, 'technician', 1, ?)
            ON CONFLICT (user_id) DO UPDATE SET generation = generation + 1, updated_at = excluded.updated_at
            RETURNING generation""",
            (user_id, now),
        )
        if row is None:  # an upsert with RETURNING always yields its row
            raise StoreError("upsert returned no row")
        return int(row["generation"])

    async def find_users(self, query: str) -> Sequence[str]:
        rows = self._fetchall("SELECT id FROM users WHERE id = ? OR email = ? ORDER BY created_at", (query, query))
        return [row["id"] for row in rows]

    # -- TOTP --------------------------------------------------------------------------------------
    async def get_totp(self, user_id: str) -> TOTPAuthenticator | None:
        row = self._fetchone("SELECT * FROM totp_authenticators WHERE user_id = ?", (user_id,))
        return None if row is None else TOTPAuthenticator(**{k: row[k] for k in row.keys()})  # noqa: SIM118

    async def begin_totp_enrollment(self, user_id: str, encrypted_secret: str, now: float) -> TOTPAuthenticator:
        row = self._fetchone(
            """INSERT INTO totp_authenticators (user_id, secret, pending_secret, last_timecode, created_at)
            VALUES (:u, NULL, :s, -1, :now)
            ON CONFLICT (user_id) DO UPDATE SET pending_secret = coalesce(pending_secret, excluded.pending_secret)
            RETURNING *""",
            {"u": user_id, "s": encrypted_secret, "now": now},
        )
        if row is None:  # an upsert with RETURNING always yields its row
            raise StoreError("upsert returned no row")
        return TOTPAuthenticator(**{k: row[k] for k in row.keys()})  # noqa: SIM118

    async def confirm_totp_enrollment(self, user_id: str, encrypted_pending: str, timecode: int, now: float) -> bool:
        changed = self._write(
            """UPDATE totp_authenticators SET secret = pending_secret, pending_secret = NULL,
                last_timecode = :tc, confirmed_at = :now
            WHERE user_id = :u AND pending_secret = :p""",
            {"u": user_id, "p": encrypted_pending, "tc": timecode, "now": now},
        )
        return changed == 1

    async def accept_totp_timecode(self, user_id: str, encrypted_secret: str, timecode: int) -> bool:
        changed = self._write(
            """UPDATE totp_authenticators SET last_timecode = :tc
            WHERE user_id = :u AND secret = :s AND last_timecode < :tc""",
            {"u": user_id, "s": encrypted_secret, "tc": timecode},
        )
        return changed == 1

    async def replace_totp_secret(self, user_id: str, old: str, new: str) -> bool:
        changed = self._write(
            "UPDATE totp_authenticators SET secret = :new WHERE user_id = :u AND secret = :old",
            {"u": user_id, "old": old, "new": new},
        )
        return changed == 1

    async def delete_totp(self, user_id: str) -> None:
        self._write("DELETE FROM totp_authenticators WHERE user_id = ?", (user_id,))

    # -- failures ----------------------------------------------------------------------------------
    async def get_failures(self, user_id: str, factor: str) -> FailureState:
        row = self._fetchone("SELECT * FROM mfa_failures WHERE user_id = ? AND factor = ?", (user_id, factor))
        if row is None:
            return FailureState()
        return FailureState(row["failures"], row["last_failure_at"], bool(row["locked"]))

    async def record_failure(self, user_id: str, factor: str, now: float, lock_after: int) -> FailureState:
        row = self._fetchone(
            """INSERT INTO mfa_failures (user_id, factor, failures, last_failure_at, locked)
            VALUES (:u, :f, 1, :now, :lock_one)
            ON CONFLICT (user_id, factor) DO UPDATE SET failures = failures + 1, last_failure_at = :now,
                locked = (failures + 1 >= :lock_after) OR locked
            RETURNING *""",
            {"u": user_id, "f": factor, "now": now, "lock_after": lock_after, "lock_one": int(lock_after <= 1)},
        )
        if row is None:  # an upsert with RETURNING always yields its row
            raise StoreError("upsert returned no row")
        return FailureState(row["failures"], row["last_failure_at"], bool(row["locked"]))

    async def clear_failures(self, user_id: str, factor: str | None = None) -> None:
        if factor is None:
            self._write("DELETE FROM mfa_failures WHERE user_id = ?", (user_id,))
        else:
            self._write("DELETE FROM mfa_failures WHERE user_id = ? AND factor = ?", (user_id, factor))

    # -- recovery codes ----------------------------------------------------------------------------
    async def replace_recovery_codes(self, user_id: str, code_hashes: Sequence[str], now: float) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))
            conn.executemany(
                "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)",
                [(user_id, h, now) for h in code_hashes],
            )

    async def use_recovery_code(self, user_id: str, code_hash: str, now: float) -> RecoveryCodeUse:
        changed = self._write(
            "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
            (now, user_id, code_hash),
        )
        if changed == 1:
            return RecoveryCodeUse.OK
        row = self._fetchone("SELECT 1 FROM recovery_codes WHERE user_id = ? AND code_hash = ?", (user_id, code_hash))
        return RecoveryCodeUse.USED if row is not None else RecoveryCodeUse.UNKNOWN

    async def count_recovery_codes(self, user_id: str) -> int:
        row = self._fetchone(
            "SELECT count(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", (user_id,)
        )
        return 0 if row is None else int(row["n"])

    async def recovery_code_used_at(self, user_id: str, code_hash: str) -> float | None:
        row = self._fetchone(
            "SELECT used_at FROM recovery_codes WHERE user_id = ? AND code_hash = ?", (user_id, code_hash)
        )
        return None if row is None or row["used_at"] is None else float(row["used_at"])

    async def delete_recovery_codes(self, user_id: str) -> None:
        self._write("DELETE FROM recovery_codes WHERE user_id = ?", (user_id,))

    # -- one-time codes ----------------------------------------------------------------------------
    async def put_otp_challenge(self, challenge: OTPChallenge) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM otp_challenges WHERE user_id = ? AND used_at IS NULL", (challenge.user_id,))
            conn.execute(
                """INSERT INTO otp_challenges (id, user_id, channel, code_hash, created_at, expires_at, attempts,
                used_at) VALUES (:id, :user_id, :channel, :code_hash, :created_at, :expires_at, :attempts, :used_at)""",
                challenge.__dict__,
            )

    async def get_otp_challenge(self, challenge_id: str) -> OTPChallenge | None:
        row = self._fetchone("SELECT * FROM otp_challenges WHERE id = ?", (challenge_id,))
        return None if row is None else OTPChallenge(**{k: row[k] for k in row.keys()})  # noqa: SIM118

    async def check_otp_challenge(self, challenge_id: str, code_hash: str, now: float, max_attempts: int) -> OTPAttempt:
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM otp_challenges WHERE id = ?", (challenge_id,)).fetchone()
            if row is None:
                return OTPAttempt(OTPCheck.UNKNOWN)
            if row["used_at"] is not None:
                return OTPAttempt(OTPCheck.USED)
            if now >= row["expires_at"]:
                return OTPAttempt(OTPCheck.EXPIRED)
            if row["attempts"] >= max_attempts:
                return OTPAttempt(OTPCheck.EXHAUSTED)
            if row["code_hash"] == code_hash:  # both are keyed hashes: equality leaks nothing about the code
                conn.execute("UPDATE otp_challenges SET used_at = ? WHERE id = ?", (now, challenge_id))
                return OTPAttempt(OTPCheck.OK)
            attempts = row["attempts"] + 1
            conn.execute("UPDATE otp_challenges SET attempts = ? WHERE id = ?", (attempts, challenge_id))
            if attempts >= max_attempts:
                return OTPAttempt(OTPCheck.EXHAUSTED)
            return OTPAttempt(OTPCheck.WRONG, max_attempts - attempts)

    async def append_otp_delivery(self, delivery: OTPDelivery) -> None:
        self._write(
            """INSERT INTO otp_deliveries (id, at, user_id, channel, destination, outcome, detail)
            VALUES (:id, :at, :user_id, :channel, :destination, :outcome, :detail)""",
            delivery.__dict__,
        )

    async def list_otp_deliveries(self, user_id: str | None = None, limit: int = 100) -> Sequence[OTPDelivery]:
        if user_id is None:
            rows = self._fetchall("SELECT * FROM otp_deliveries ORDER BY at DESC, rowid DESC LIMIT ?", (limit,))
        else:
            rows = self._fetchall(
                "SELECT * FROM otp_deliveries WHERE user_id = ? ORDER BY at DESC, rowid DESC LIMIT ?", (user_id, limit)
            )
        return [OTPDelivery(**{k: row[k] for k in row.keys()}) for row in rows]  # noqa: SIM118

    async def claim_otp_send(self, user_id: str, ip: str, now: float, limits: OTPSendLimits) -> OTPSendClaim:
        with self._transaction() as conn:  # BEGIN IMMEDIATE: the count and the insert are one step for all writers
            claim = _send_claim(conn, user_id, ip, now, limits)
            if claim.allowed:
                conn.execute("INSERT INTO otp_sends (at, user_id, ip) VALUES (?, ?, ?)", (now, user_id, ip))
            return claim

    async def otp_send_wait(self, user_id: str, ip: str, now: float, limits: OTPSendLimits) -> OTPSendClaim:
        with self._transaction() as conn:
            return _send_claim(conn, user_id, ip, now, limits)

    # -- remembered devices ------------------------------------------------------------------------
    async def put_remembered_device(self, device: RememberedDevice, keep: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                """INSERT INTO remembered_devices (id, token_hash, user_id, generation, created_at, expires_at,
                user_agent, last_used_at) VALUES (:id, :token_hash, :user_id, :generation, :created_at, :expires_at,
                :user_agent, :last_used_at)""",
                device.__dict__,
            )
            conn.execute(
                """DELETE FROM remembered_devices WHERE user_id = :u AND id NOT IN (
                    SELECT id FROM remembered_devices WHERE user_id = :u
                    ORDER BY created_at DESC, rowid DESC LIMIT :keep)""",
                {"u": device.user_id, "keep": keep},
            )

    async def get_remembered_device(self, token_hash: str, now: float) -> RememberedDevice | None:
        row = self._fetchone(
            "SELECT * FROM remembered_devices WHERE token_hash = ? AND expires_at > ?", (token_hash, now)
        )
        return None if row is None else RememberedDevice(**{k: row[k] for k in row.keys()})  # noqa: SIM118

    async def touch_remembered_device(self, device_id: str, now: float) -> None:
        self._write("UPDATE remembered_devices SET last_used_at = ? WHERE id = ?", (now, device_id))

    async def list_remembered_devices(self, user_id: str, now: float) -> Sequence[RememberedDevice]:
        rows = self._fetchall(
            "SELECT * FROM remembered_devices WHERE user_id = ? AND expires_at > ? "
            "ORDER BY created_at DESC, rowid DESC",
            (user_id, now),
        )
        return [RememberedDevice(**{k: row[k] for k in row.keys()}) for row in rows]  # noqa: SIM118

    async def delete_remembered_device(self, user_id: str, device_id: str) -> bool:
        return self._write("DELETE FROM remembered_devices WHERE user_id = ? AND id = ?", (user_id, device_id)) == 1

    async def delete_remembered_devices(self, user_id: str) -> int:
        return self._write("DELETE FROM remembered_devices WHERE user_id = ?", (user_id,))

    # -- pending logins ----------------------------------------------------------------------------
    async def put_pending_login(self, pending: PendingLogin) -> None:
        values = {**pending.__dict__}
        values["upstream_amr"] = json.dumps(list(pending.upstream_amr))
        values["factor_amr"] = json.dumps(list(pending.factor_amr))
        values["identity"] = identity_json(pending.identity) if pending.identity is not None else None
        names = list(values)
        self._write(
            f"INSERT INTO pending_logins ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})",  # noqa: S608
            values,
        )

    async def get_pending_login(self, token_hash: str, now: float) -> PendingLogin | None:
        row = self._fetchone("SELECT * FROM pending_logins WHERE token_hash = ? AND expires_at > ?", (token_hash, now))
        return None if row is None else _pending(row)

    async def set_pending_challenge(self, token_hash: str, challenge_id: str) -> None:
        self._write("UPDATE pending_logins SET challenge_id = ? WHERE token_hash = ?", (challenge_id, token_hash))

    async def mark_pending_factor(self, token_hash: str, amr: tuple[str, ...], method: str, now: float) -> bool:
        changed = self._write(
            """UPDATE pending_logins SET factor_amr = ?, factor_method = ?, factor_at = ?
            WHERE token_hash = ? AND factor_at IS NULL AND expires_at > ?""",
            (json.dumps(list(amr)), method, now, token_hash, now),
        )
        return changed == 1

    async def take_pending_login(self, token_hash: str, now: float) -> PendingLogin | None:
        row = self._fetchone("DELETE FROM pending_logins WHERE token_hash = ? RETURNING *", (token_hash,))
        if row is None:
            return None
        pending = _pending(row)
        return pending if now < pending.expires_at else None

    async def delete_pending_logins(self, user_id: str) -> int:
        return self._write("DELETE FROM pending_logins WHERE user_id = ?", (user_id,))
