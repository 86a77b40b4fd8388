"""The SQLite tables of the session rules (appended to sqlite_schema.DDL; no schema version bump needed)."""

from __future__ import annotations

SESSION_RULES_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS user_session_settings (
        user_id TEXT PRIMARY KEY,
        idle_timeout_seconds INTEGER,
        lifetime_seconds INTEGER,
        max_sessions INTEGER,
        updated_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS session_end_notices (
        token_hash TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        ended_at REAL NOT NULL,
        expires_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS session_end_notices_expires ON session_end_notices (expires_at)",
    """CREATE TABLE IF NOT EXISTS session_clients (
        session_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        first_at REAL NOT NULL,
        PRIMARY KEY (session_id, client_id)
    )""",
    "CREATE TABLE IF NOT EXISTS session_groups (session_id TEXT PRIMARY KEY, groups TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        rotated_at REAL,
        revoked INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id)",
    "CREATE INDEX IF NOT EXISTS refresh_tokens_session ON refresh_tokens (session_id)",
    "CREATE INDEX IF NOT EXISTS access_tokens_session ON access_tokens (session_id)",
    """CREATE TABLE IF NOT EXISTS logout_deliveries (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        uri TEXT NOT NULL,
        jti TEXT NOT NULL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS logout_deliveries_session ON logout_deliveries (session_id)",
    # The sweep looks for sessions that ran out but were never ended.
    "CREATE INDEX IF NOT EXISTS sessions_open_expires ON sessions (expires_at) WHERE ended_at IS NULL",
    "CREATE INDEX IF NOT EXISTS sessions_open_idle ON sessions (last_seen_at + idle_timeout) WHERE ended_at IS NULL",
)
