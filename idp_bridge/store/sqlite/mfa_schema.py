"""The SQLite tables of the MFA records (store.sqlite.mfa), appended to the store's idempotent DDL."""

from __future__ import annotations

MFA_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS mfa_settings (
        user_id TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        enforced INTEGER NOT NULL DEFAULT 0,
        choice TEXT,
        method TEXT,
        phone TEXT,
        email TEXT,
        generation INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS totp_authenticators (
        user_id TEXT PRIMARY KEY,
        secret TEXT,
        pending_secret TEXT,
        last_timecode INTEGER NOT NULL DEFAULT -1,
        created_at REAL NOT NULL,
        confirmed_at REAL
    )""",
    """CREATE TABLE IF NOT EXISTS mfa_failures (
        user_id TEXT NOT NULL,
        factor TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_failure_at REAL,
        locked INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, factor)
    )""",
    """CREATE TABLE IF NOT EXISTS recovery_codes (
        user_id TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        used_at REAL,
        PRIMARY KEY (user_id, code_hash)
    )""",
    """CREATE TABLE IF NOT EXISTS otp_challenges (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        used_at REAL
    )""",
    "CREATE INDEX IF NOT EXISTS otp_challenges_user ON otp_challenges (user_id)",
    """CREATE TABLE IF NOT EXISTS otp_deliveries (
        id TEXT PRIMARY KEY,
        at REAL NOT NULL,
        user_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        destination TEXT NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS otp_deliveries_user_at ON otp_deliveries (user_id, at)",
    """CREATE TABLE IF NOT EXISTS remembered_devices (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        generation INTEGER NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        user_agent TEXT,
        last_used_at REAL
    )""",
    "CREATE INDEX IF NOT EXISTS remembered_devices_user ON remembered_devices (user_id, created_at)",
    """CREATE TABLE IF NOT EXISTS pending_logins (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        auth_request_id TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        upstream_amr TEXT NOT NULL,
        upstream_auth_time INTEGER NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        step_up_session_id TEXT,
        challenge_id TEXT,
        factor_amr TEXT NOT NULL,
        factor_at REAL,
        factor_method TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS pending_logins_user ON pending_logins (user_id)",
)

# Columns added to a table after it was first released, as (table, column, declaration): SQLiteStore.open() adds
# each one a file lacks (SQLite has no ADD COLUMN IF NOT EXISTS), so older files keep working unchanged.
MFA_ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("pending_logins", "identity", "TEXT"),  # PendingLogin.identity as JSON (store.sqlite.session_rules)
)

# Run by SQLiteStore.purge_expired with :now bound.
MFA_PURGE: tuple[str, ...] = (
    "DELETE FROM otp_challenges WHERE expires_at <= :now",
    "DELETE FROM remembered_devices WHERE expires_at <= :now",
    "DELETE FROM pending_logins WHERE expires_at <= :now",
)
