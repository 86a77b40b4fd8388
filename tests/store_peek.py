"""Read-only peeks into the SQLite file behind an in-process bridge, to prove what a request did NOT create."""

from __future__ import annotations

import sqlite3

TABLES = ("auth_requests", "login_flows", "users", "sessions", "codes", "access_tokens")


def counts(db_path: str) -> dict[str, int]:
    with sqlite3.connect(db_path) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608


def audit_types(db_path: str) -> list[tuple[str, str]]:
    """(type, outcome) of every audit event, oldest first."""
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute("SELECT type, outcome FROM audit_events ORDER BY at, rowid"))


def live_sessions(db_path: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").fetchone()[0])
