"""The SQLite tables of the administration records (store.sqlite.admin), appended to the store's idempotent DDL."""

from __future__ import annotations

ADMIN_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS policy_versions (
        version INTEGER PRIMARY KEY,
        document TEXT NOT NULL,
        author TEXT NOT NULL,
        comment TEXT NOT NULL,
        created_at REAL NOT NULL,
        diff TEXT NOT NULL,
        rollback_of INTEGER
    )""",
    """CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL,
        name TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        revoked_at REAL,
        last_used_at REAL
    )""",
    """CREATE TABLE IF NOT EXISTS technician_mapped_roles (
        user_id TEXT PRIMARY KEY,
        mapped_role TEXT,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS sessions_last_seen ON sessions (last_seen_at)",
)
