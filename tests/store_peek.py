"""Read-only peeks into the SQLite file behind an in-process bridge, to prove what a request did NOT create."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

TABLES = ("auth_requests", "login_flows", "users", "sessions", "codes", "access_tokens")


def counts(db_path: str) -> dict[str, int]:
    with sqlite3.connect(db_path) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608


def audit_types(db_path: str) -> list[tuple[str, str]]:
    """(type, outcome) of every audit event, oldest first."""
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute("SELECT type, outcome FROM audit_events ORDER BY at, rowid"))


def last_audit(db_path: str) -> tuple[str, str, dict[str, Any]]:
    """(type, outcome, detail) of the newest audit event; `detail` also carries client_id and provider_id."""
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT type, outcome, client_id, provider_id, detail FROM audit_events ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
    assert row is not None, "no audit event was written"
    detail: dict[str, Any] = {**json.loads(row[4]), "client_id": row[2], "provider_id": row[3]}
    return row[0], row[1], detail


def audit_count(db_path: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0])


def live_sessions(db_path: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").fetchone()[0])


def redeemed_codes(db_path: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM codes WHERE redeemed_at IS NOT NULL").fetchone()[0])


def session_ids(db_path: str) -> list[str]:
    """Ids of all sessions (live or ended), oldest first."""
    with sqlite3.connect(db_path) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM sessions ORDER BY created_at, rowid")]
