"""SQLiteSessionRules: the SessionRulesStore methods of SQLiteStore (a mixin over its connection helpers)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from idp_bridge.store.records.core import Session
from idp_bridge.store.records.session_rules import (
    EndNotice,
    LogoutDelivery,
    RefreshRotation,
    RefreshStatus,
    RefreshToken,
    SessionIdentity,
    UserSessionSettings,
)
from policies.session_rules import SessionAge, sessions_to_evict

NOTICE_RETENTION = 86400.0
"""Seconds an end notice is kept, so a browser returning the next morning is still told why."""
DELIVERY_RETENTION = 30 * 86400.0
"""Seconds back-channel delivery records are kept for inspection."""

_LIVE = "ended_at IS NULL AND expires_at > :now AND last_seen_at + idle_timeout > :now"
_RAN_OUT = "ended_at IS NULL AND (expires_at <= :now OR last_seen_at + idle_timeout <= :now)"
# Whichever deadline passed first (policies.session_rules.expiry): absolute when it is not after the idle one.
_RAN_OUT_REASON = "CASE WHEN expires_at <= last_seen_at + idle_timeout THEN 'absolute' ELSE 'idle' END"

RECORD_SESSION_CLIENT = "INSERT INTO session_clients VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
_PUT_GROUPS = "INSERT OR REPLACE INTO session_groups VALUES (?, ?)"
_SESSION_FIELDS = (
    "id", "token_hash", "user_id", "provider_id", "auth_time", "amr", "acr", "created_at", "last_seen_at",
    "expires_at", "idle_timeout", "user_agent", "ip", "ended_at", "end_reason",
)  # fmt: skip


def _session(row: sqlite3.Row) -> Session:
    values: dict[str, Any] = {name: row[name] for name in _SESSION_FIELDS}
    values["amr"] = tuple(json.loads(values["amr"]))
    return Session(**values)


def _session_params(session: Session) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(session, name) for name in _SESSION_FIELDS}
    values["amr"] = json.dumps(list(session.amr))
    return values


def identity_json(identity: SessionIdentity) -> str:
    return json.dumps({"groups": list(identity.groups), "tenant": identity.tenant, "roles": list(identity.roles),
                       "groups_overage": identity.groups_overage})  # fmt: skip


def identity_from_json(text: str) -> SessionIdentity | None:
    """session_groups.groups holds a JSON object of the identity facts, or (rows written before sessions kept
    more than their groups, and put_session_groups) a bare JSON list of groups: no facts then."""
    data = json.loads(text)
    if not isinstance(data, dict):
        return None
    return SessionIdentity(groups=tuple(data["groups"]), tenant=data["tenant"], roles=tuple(data["roles"]),
                           groups_overage=bool(data["groups_overage"]))  # fmt: skip


def _groups(text: str) -> tuple[str, ...]:
    data = json.loads(text)
    return tuple(data["groups"] if isinstance(data, dict) else data)


def _refresh(row: sqlite3.Row) -> RefreshToken:
    return RefreshToken(
        token_hash=row["token_hash"], family_id=row["family_id"], client_id=row["client_id"], user_id=row["user_id"],
        session_id=row["session_id"], scope=row["scope"], created_at=row["created_at"], expires_at=row["expires_at"],
        rotated_at=row["rotated_at"], revoked=bool(row["revoked"]),
    )  # fmt: skip


class SQLiteSessionRules:
    """Every multi-row change below runs in one `BEGIN IMMEDIATE` transaction, atomic across processes."""

    if TYPE_CHECKING:  # provided by SQLiteStore

        def _transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _fetchall(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> list[sqlite3.Row]: ...

        def _write(self, sql: str, params: dict[str, Any] | Sequence[Any]) -> int: ...

    # -- ending sessions ---------------------------------------------------------------------------
    @staticmethod
    def _end(conn: sqlite3.Connection, where: str, params: dict[str, Any], reason_sql: str) -> list[Session]:
        """End the sessions matching `where` (inside the caller's transaction): tokens revoked, notices left."""
        rows = conn.execute(
            f"UPDATE sessions SET ended_at = :now, end_reason = {reason_sql} WHERE {where} RETURNING *",  # noqa: S608
            params,
        ).fetchall()
        ended = sorted((_session(row) for row in rows), key=lambda s: (s.created_at, s.id))
        now = params["now"]
        for session in ended:
            conn.execute(
                "INSERT OR REPLACE INTO session_end_notices VALUES (?, ?, ?, ?, ?, ?)",
                (session.token_hash, session.id, session.user_id, session.end_reason, now, now + NOTICE_RETENTION),
            )
            conn.execute("UPDATE access_tokens SET revoked = 1 WHERE session_id = ? AND revoked = 0", (session.id,))
            conn.execute("UPDATE refresh_tokens SET revoked = 1 WHERE session_id = ? AND revoked = 0", (session.id,))
        return ended

    async def create_session_evicting(
        self, session: Session, limit: int, now: float, identity: SessionIdentity | None = None
    ) -> Sequence[Session]:
        with self._transaction() as conn:
            rows = conn.execute(
                f"SELECT id, created_at, last_seen_at, idle_timeout, expires_at FROM sessions "  # noqa: S608
                f"WHERE user_id = :user_id AND {_LIVE}",
                {"user_id": session.user_id, "now": now},
            ).fetchall()
            live = [SessionAge(r["id"], r["created_at"], r["last_seen_at"], r["idle_timeout"], r["expires_at"])
                    for r in rows]  # fmt: skip
            evicted: list[Session] = []
            for sid in sessions_to_evict(live, limit):
                evicted += self._end(conn, f"id = :id AND {_LIVE}", {"id": sid, "now": now}, "'evicted'")
            names = ", ".join(_SESSION_FIELDS)
            values = ", ".join(f":{n}" for n in _SESSION_FIELDS)
            conn.execute(f"INSERT INTO sessions ({names}) VALUES ({values})", _session_params(session))  # noqa: S608
            if identity is not None:
                conn.execute(_PUT_GROUPS, (session.id, identity_json(identity)))
            return evicted

    async def end_session_returning(self, session_id: str, now: float, reason: str) -> Session | None:
        with self._transaction() as conn:
            ended = self._end(conn, f"id = :id AND {_LIVE}", {"id": session_id, "now": now, "r": reason}, ":r")
        return ended[0] if ended else None

    async def step_up_session(
        self, session_id: str, token_hash: str, amr: tuple[str, ...], acr: str | None, auth_time: int, now: float
    ) -> Session | None:
        rows = self._fetchall(
            f"UPDATE sessions SET token_hash = :t, amr = :amr, acr = :acr, auth_time = :at "  # noqa: S608 - constant
            f"WHERE id = :id AND {_LIVE} RETURNING *",
            {"t": token_hash, "amr": json.dumps(list(amr)), "acr": acr, "at": auth_time, "id": session_id, "now": now},
        )
        return _session(rows[0]) if rows else None

    async def end_user_sessions(self, user_id: str, now: float, reason: str) -> Sequence[Session]:
        with self._transaction() as conn:
            return self._end(conn, f"user_id = :u AND {_LIVE}", {"u": user_id, "now": now, "r": reason}, ":r")

    async def end_sessions_by_provider(
        self, keep_providers: Sequence[str], now: float, reason: str
    ) -> Sequence[Session]:
        keep = json.dumps(list(keep_providers))
        with self._transaction() as conn:
            return self._end(
                conn,
                f"provider_id NOT IN (SELECT value FROM json_each(:keep)) AND {_LIVE}",  # noqa: S608
                {"keep": keep, "now": now, "r": reason},
                ":r",
            )

    async def end_expired_session(self, session_id: str, now: float) -> Session | None:
        with self._transaction() as conn:
            ended = self._end(conn, f"id = :id AND {_RAN_OUT}", {"id": session_id, "now": now}, _RAN_OUT_REASON)
        return ended[0] if ended else None

    async def end_expired_session_by_token(self, token_hash: str, now: float) -> Session | None:
        with self._transaction() as conn:
            ended = self._end(
                conn, f"token_hash = :t AND {_RAN_OUT}", {"t": token_hash, "now": now}, _RAN_OUT_REASON
            )
        return ended[0] if ended else None

    async def end_expired_sessions(self, now: float, limit: int = 500) -> Sequence[Session]:
        with self._transaction() as conn:
            return self._end(
                conn,
                f"id IN (SELECT id FROM sessions WHERE {_RAN_OUT} LIMIT :limit)",  # noqa: S608
                {"now": now, "limit": limit},
                _RAN_OUT_REASON,
            )

    async def find_end_notice(self, token_hash: str, now: float) -> EndNotice | None:
        rows = self._fetchall(
            "SELECT * FROM session_end_notices WHERE token_hash = ? AND expires_at > ?", (token_hash, now)
        )
        if not rows:
            return None
        row = rows[0]
        return EndNotice(row["session_id"], row["user_id"], row["reason"], row["ended_at"])

    # -- portals per session -----------------------------------------------------------------------
    async def record_session_client(self, session_id: str, client_id: str, now: float) -> None:
        self._write(RECORD_SESSION_CLIENT, (session_id, client_id, now))

    async def list_session_clients(self, session_id: str) -> Sequence[str]:
        rows = self._fetchall(
            "SELECT client_id FROM session_clients WHERE session_id = ? ORDER BY first_at, rowid", (session_id,)
        )
        return [row["client_id"] for row in rows]

    async def put_session_groups(self, session_id: str, groups: Sequence[str]) -> None:
        self._write(_PUT_GROUPS, (session_id, json.dumps(list(groups))))

    async def get_session_groups(self, session_id: str) -> Sequence[str]:
        rows = self._fetchall("SELECT groups FROM session_groups WHERE session_id = ?", (session_id,))
        return _groups(rows[0]["groups"]) if rows else ()

    async def put_session_identity(self, session_id: str, identity: SessionIdentity) -> None:
        self._write(_PUT_GROUPS, (session_id, identity_json(identity)))

    async def get_session_identity(self, session_id: str) -> SessionIdentity | None:
        rows = self._fetchall("SELECT groups FROM session_groups WHERE session_id = ?", (session_id,))
        return identity_from_json(rows[0]["groups"]) if rows else None

    async def get_session_identities(self, session_ids: Sequence[str]) -> Mapping[str, SessionIdentity]:
        rows = self._fetchall(
            "SELECT session_id, groups FROM session_groups WHERE session_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(session_ids)),),
        )
        found = ((row["session_id"], identity_from_json(row["groups"])) for row in rows)
        return {sid: identity for sid, identity in found if identity is not None}

    # -- refresh tokens ----------------------------------------------------------------------------
    async def put_refresh_token(self, token: RefreshToken) -> None:
        self._write(
            "INSERT INTO refresh_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (token.token_hash, token.family_id, token.client_id, token.user_id, token.session_id, token.scope,
             token.created_at, token.expires_at, token.rotated_at, int(token.revoked)),
        )  # fmt: skip

    async def get_refresh_token(self, token_hash: str) -> RefreshToken | None:
        rows = self._fetchall("SELECT * FROM refresh_tokens WHERE token_hash = ?", (token_hash,))
        return _refresh(rows[0]) if rows else None

    async def rotate_refresh_token(self, token_hash: str, new_token_hash: str, now: float) -> RefreshRotation:
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM refresh_tokens WHERE token_hash = ?", (token_hash,)).fetchone()
            if row is None:
                return RefreshRotation(RefreshStatus.UNKNOWN)
            old = _refresh(row)
            if old.rotated_at is not None or old.revoked:
                revoked = conn.execute(
                    "UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ? AND revoked = 0", (old.family_id,)
                ).rowcount
                return RefreshRotation(RefreshStatus.REUSED, old, revoked)
            if now >= old.expires_at:
                return RefreshRotation(RefreshStatus.EXPIRED, old)
            live = conn.execute(
                f"SELECT 1 FROM sessions WHERE id = :id AND {_LIVE}", {"id": old.session_id, "now": now}  # noqa: S608
            ).fetchone()
            if live is None:
                return RefreshRotation(RefreshStatus.SESSION_ENDED, old)
            conn.execute("UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ?", (now, token_hash))
            conn.execute(
                "INSERT INTO refresh_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)",
                (new_token_hash, old.family_id, old.client_id, old.user_id, old.session_id, old.scope, now,
                 old.expires_at),
            )  # fmt: skip
            return RefreshRotation(RefreshStatus.OK, old)

    # -- back-channel logout deliveries ------------------------------------------------------------
    async def save_logout_delivery(self, delivery: LogoutDelivery) -> None:
        d = delivery
        self._write(
            "INSERT OR REPLACE INTO logout_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (d.id, d.session_id, d.client_id, d.uri, d.jti, d.reason, d.status, d.attempts, d.last_error,
             d.created_at, d.updated_at),
        )  # fmt: skip

    async def list_logout_deliveries(self, session_id: str) -> Sequence[LogoutDelivery]:
        rows = self._fetchall(
            "SELECT * FROM logout_deliveries WHERE session_id = ? ORDER BY created_at, rowid", (session_id,)
        )
        return [LogoutDelivery(**{k: row[k] for k in row.keys()}) for row in rows]  # noqa: SIM118

    # -- per-technician settings -------------------------------------------------------------------
    async def get_user_session_settings(self, user_id: str) -> UserSessionSettings | None:
        rows = self._fetchall("SELECT * FROM user_session_settings WHERE user_id = ?", (user_id,))
        return UserSessionSettings(**{k: rows[0][k] for k in rows[0].keys()}) if rows else None  # noqa: SIM118

    async def put_user_session_settings(self, settings: UserSessionSettings) -> None:
        s = settings
        self._write(
            "INSERT OR REPLACE INTO user_session_settings VALUES (?, ?, ?, ?, ?)",
            (s.user_id, s.idle_timeout_seconds, s.lifetime_seconds, s.max_sessions, s.updated_at),
        )

    async def set_user_disabled(self, user_id: str, disabled: bool) -> bool:
        return self._write("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id)) == 1

    # -- housekeeping ------------------------------------------------------------------------------
    async def purge_session_records(self, now: float) -> int:
        params = {"now": now, "deliveries": now - DELIVERY_RETENTION}
        with self._transaction() as conn:
            return sum(
                conn.execute(sql, params).rowcount
                for sql in (
                    "DELETE FROM session_end_notices WHERE expires_at <= :now",
                    "DELETE FROM refresh_tokens WHERE expires_at <= :now",
                    "DELETE FROM logout_deliveries WHERE updated_at <= :deliveries",
                    "DELETE FROM session_clients WHERE session_id NOT IN (SELECT id FROM sessions)",
                    "DELETE FROM session_groups WHERE session_id NOT IN (SELECT id FROM sessions)",
                )
            )
