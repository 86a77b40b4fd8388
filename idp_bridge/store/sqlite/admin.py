"""SQLiteAdminMixin: the AdminStore methods of SQLiteStore (policy versions, API tokens, technicians, sessions)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from idp_bridge.store.records.admin import APIToken, AuthFailures, MappedRole, PolicyVersion
from idp_bridge.store.records.core import Session, User

# A session is live while not ended, before its absolute expiry and its idle deadline (records.Session).
_LIVE = "ended_at IS NULL AND expires_at > :now AND last_seen_at + idle_timeout > :now"


def _row_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {name: row[name] for name in row.keys()}  # noqa: SIM118 - sqlite3.Row has no items()


def _token(row: sqlite3.Row) -> APIToken:
    values = _row_dict(row)
    values["scopes"] = tuple(json.loads(values["scopes"]))
    return APIToken(**values)


def _session(row: sqlite3.Row) -> Session:
    values = _row_dict(row)
    values["amr"] = tuple(json.loads(values["amr"]))
    return Session(**values)


def _user(row: sqlite3.Row) -> User:
    values = _row_dict(row)
    values["disabled"] = bool(values["disabled"])
    return User(**values)


class SQLiteAdminMixin:
    """Mixed into SQLiteStore, whose plumbing (`_fetchall`, `_write`, `_transaction`) these methods use."""

    if TYPE_CHECKING:

        def _fetchall(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> list[sqlite3.Row]: ...

        def _fetchone(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> sqlite3.Row | None: ...

        def _write(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> int: ...

        def _transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    # -- policy versions ---------------------------------------------------------------------------
    async def policy_version_number(self) -> int:
        row = self._fetchone("SELECT coalesce(max(version), 0) AS v FROM policy_versions", ())
        return int(row["v"]) if row is not None else 0

    async def get_policy_version(self, version: int | None = None) -> PolicyVersion | None:
        if version is None:
            row = self._fetchone("SELECT * FROM policy_versions ORDER BY version DESC LIMIT 1", ())
        else:
            row = self._fetchone("SELECT * FROM policy_versions WHERE version = ?", (version,))
        return None if row is None else PolicyVersion(**_row_dict(row))

    async def add_policy_version(self, version: PolicyVersion) -> bool:
        with self._transaction() as conn:
            current = conn.execute("SELECT coalesce(max(version), 0) FROM policy_versions").fetchone()[0]
            if version.version != current + 1:
                return False
            conn.execute(
                "INSERT INTO policy_versions (version, document, author, comment, created_at, diff, rollback_of) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (version.version, version.document, version.author, version.comment, version.created_at,
                 version.diff, version.rollback_of),
            )  # fmt: skip
            return True

    async def list_policy_versions(self, limit: int = 100) -> Sequence[PolicyVersion]:
        rows = self._fetchall("SELECT * FROM policy_versions ORDER BY version DESC LIMIT ?", (max(limit, 0),))
        return [PolicyVersion(**_row_dict(row)) for row in rows]

    # -- API tokens --------------------------------------------------------------------------------
    async def put_api_token(self, token: APIToken) -> None:
        self._write(
            "INSERT INTO api_tokens (id, token_hash, name, scopes, created_by, created_at, expires_at, revoked_at, "
            "last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (token.id, token.token_hash, token.name, json.dumps(list(token.scopes)), token.created_by,
             token.created_at, token.expires_at, token.revoked_at, token.last_used_at),
        )  # fmt: skip

    async def get_api_token(self, token_id: str) -> APIToken | None:
        row = self._fetchone("SELECT * FROM api_tokens WHERE id = ?", (token_id,))
        return None if row is None else _token(row)

    async def list_api_tokens(self) -> Sequence[APIToken]:
        return [_token(r) for r in self._fetchall("SELECT * FROM api_tokens ORDER BY created_at DESC, id", ())]

    async def revoke_api_token(self, token_id: str, now: float) -> bool:
        return self._write(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, token_id)
        ) == 1

    async def touch_api_token(self, token_id: str, now: float) -> None:
        self._write("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (now, token_id))

    # -- technicians -------------------------------------------------------------------------------
    async def search_users(self, query: str | None, limit: int, offset: int = 0) -> Sequence[User]:
        params: dict[str, Any] = {"limit": max(limit, 0), "offset": max(offset, 0)}
        where = "1 = 1"
        if query:
            where = "(instr(lower(id), :q) > 0 OR instr(lower(coalesce(email, '')), :q) > 0 " \
                    "OR instr(lower(coalesce(name, '')), :q) > 0)"
            params["q"] = query.lower()
        rows = self._fetchall(
            f"SELECT * FROM users WHERE {where} ORDER BY email IS NULL, email, id LIMIT :limit OFFSET :offset",  # noqa: S608
            params,
        )
        return [_user(row) for row in rows]

    async def get_mapped_role(self, user_id: str) -> MappedRole:
        row = self._fetchone("SELECT * FROM technician_mapped_roles WHERE user_id = ?", (user_id,))
        return MappedRole(user_id=user_id) if row is None else MappedRole(**_row_dict(row))

    async def save_mapped_role(self, mapped: MappedRole) -> None:
        self._write(
            "INSERT INTO technician_mapped_roles (user_id, mapped_role, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET mapped_role = excluded.mapped_role, updated_at = excluded.updated_at",
            (mapped.user_id, mapped.mapped_role, mapped.updated_at),
        )

    async def list_role_holders(self, role: str) -> Sequence[str]:
        rows = self._fetchall(
            "SELECT user_id FROM mfa_settings WHERE role = :role UNION "
            "SELECT user_id FROM technician_mapped_roles WHERE mapped_role = :role ORDER BY user_id",
            {"role": role},
        )
        return [row["user_id"] for row in rows]

    # -- sessions ----------------------------------------------------------------------------------
    async def list_live_sessions(
        self, now: float, *, user_id: str | None = None, provider_id: str | None = None, limit: int = 500
    ) -> Sequence[Session]:
        clauses = [_LIVE]
        params: dict[str, Any] = {"now": now, "limit": max(limit, 0)}
        if user_id is not None:
            clauses.append("user_id = :user_id")
            params["user_id"] = user_id
        if provider_id is not None:
            clauses.append("provider_id = :provider_id")
            params["provider_id"] = provider_id
        rows = self._fetchall(
            f"SELECT * FROM sessions WHERE {' AND '.join(clauses)} "  # noqa: S608 - constant clauses
            "ORDER BY last_seen_at DESC, id LIMIT :limit",
            params,
        )
        return [_session(row) for row in rows]

    # -- failed client authentications -------------------------------------------------------------
    async def get_auth_failures(self, keys: Sequence[str], now: float) -> Sequence[AuthFailures]:
        found = {
            row["key"]: AuthFailures(row["key"], row["failures"], row["last_failure_at"])
            for key in keys
            if (row := self._fetchone("SELECT * FROM auth_failures WHERE key = ? AND expires_at > ?", (key, now)))
        }
        return [found.get(key, AuthFailures(key)) for key in keys]

    async def record_auth_failure(self, keys: Sequence[str], now: float, forget_after: float) -> Sequence[AuthFailures]:
        records = []
        with self._transaction() as conn:
            for key in keys:
                row = conn.execute(
                    """INSERT INTO auth_failures (key, failures, last_failure_at, expires_at) VALUES (:k, 1, :now, :exp)
                    ON CONFLICT (key) DO UPDATE SET
                        failures = CASE WHEN expires_at <= :now THEN 1 ELSE failures + 1 END,
                        last_failure_at = :now, expires_at = :exp
                    RETURNING failures, last_failure_at""",
                    {"k": key, "now": now, "exp": now + forget_after},
                ).fetchone()
                records.append(AuthFailures(key, row["failures"], row["last_failure_at"]))
        return records

    async def clear_auth_failures(self, keys: Sequence[str]) -> None:
        with self._transaction() as conn:
            conn.executemany("DELETE FROM auth_failures WHERE key = ?", [(key,) for key in keys])
