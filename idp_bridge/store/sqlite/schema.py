"""The SQLite schema of SQLiteStore (store.sqlite.core): its tables (core, session rules, MFA, admin), indexes and
version."""

from __future__ import annotations

SCHEMA_VERSION = 1

# Idempotent DDL, run in one transaction by SQLiteStore.open(). Column names match the record fields; tuples
# and dicts (amr, flow_state, detail) are JSON text; booleans are 0/1; times are POSIX seconds (REAL).
DDL: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS auth_requests (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        scope TEXT NOT NULL,
        state TEXT,
        nonce TEXT,
        code_challenge TEXT NOT NULL,
        prompt TEXT,
        max_age INTEGER,
        login_hint TEXT,
        acr_values TEXT,
        provider_hint TEXT,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS auth_requests_expires ON auth_requests (expires_at)",
    """CREATE TABLE IF NOT EXISTS login_flows (
        state TEXT PRIMARY KEY,
        provider_id TEXT NOT NULL,
        auth_request_id TEXT NOT NULL,
        flow_state TEXT NOT NULL,
        browser_binding_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS login_flows_expires ON login_flows (expires_at)",
    """CREATE TABLE IF NOT EXISTS users (
        id TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        email TEXT,
        name TEXT,
        created_at REAL NOT NULL,
        last_login_at REAL NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        UNIQUE (issuer, subject)
    )""",
    """CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        auth_time INTEGER NOT NULL,
        amr TEXT NOT NULL,
        acr TEXT,
        created_at REAL NOT NULL,
        last_seen_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        idle_timeout REAL NOT NULL,
        user_agent TEXT,
        ip TEXT,
        ended_at REAL,
        end_reason TEXT
    )""",
    # A user's sessions are looked up only while not ended (the concurrency rule at every login, live-session
    # lists); ended ones stay until the purge, and a full index made each login scan all of them (replaced).
    "DROP INDEX IF EXISTS sessions_user",
    "CREATE INDEX IF NOT EXISTS sessions_open_user ON sessions (user_id, created_at) WHERE ended_at IS NULL",
    "CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at)",
    """CREATE TABLE IF NOT EXISTS codes (
        code_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        user_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        nonce TEXT,
        code_challenge TEXT NOT NULL,
        auth_time INTEGER NOT NULL,
        amr TEXT NOT NULL,
        acr TEXT,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        redeemed_at REAL
    )""",
    "CREATE INDEX IF NOT EXISTS codes_expires ON codes (expires_at)",
    """CREATE TABLE IF NOT EXISTS access_tokens (
        token_hash TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        code_hash TEXT,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS access_tokens_code ON access_tokens (code_hash)",
    "CREATE INDEX IF NOT EXISTS access_tokens_expires ON access_tokens (expires_at)",
    """CREATE TABLE IF NOT EXISTS audit_events (
        id TEXT PRIMARY KEY,
        at REAL NOT NULL,
        type TEXT NOT NULL,
        outcome TEXT NOT NULL,
        user_id TEXT,
        client_id TEXT,
        provider_id TEXT,
        session_id TEXT,
        ip TEXT,
        detail TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS audit_at ON audit_events (at)",
    "CREATE INDEX IF NOT EXISTS audit_user_at ON audit_events (user_id, at)",
    "CREATE INDEX IF NOT EXISTS audit_type_at ON audit_events (type, at)",
)

# --- session rules (store.sqlite.session_rules; no schema version bump was needed) ---

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

# --- MFA (store.sqlite.mfa) ---

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
    # One row per email/SMS code sent, for the send caps (store.sqlite.mfa claim_otp_send); purged after a day.
    """CREATE TABLE IF NOT EXISTS otp_sends (
        at REAL NOT NULL,
        user_id TEXT NOT NULL,
        ip TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS otp_sends_at ON otp_sends (at)",
    "CREATE INDEX IF NOT EXISTS otp_sends_user_at ON otp_sends (user_id, at)",
    "CREATE INDEX IF NOT EXISTS otp_sends_ip_at ON otp_sends (ip, at)",
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
    ("audit_events", "request_id", "TEXT"),  # AuditEvent.request_id and user_agent (observability)
    ("audit_events", "user_agent", "TEXT"),
)

# Run by SQLiteStore.purge_expired with :now bound.
MFA_PURGE: tuple[str, ...] = (
    "DELETE FROM otp_challenges WHERE expires_at <= :now",
    "DELETE FROM remembered_devices WHERE expires_at <= :now",
    "DELETE FROM pending_logins WHERE expires_at <= :now",
    "DELETE FROM otp_sends WHERE at <= :now - 86400",  # the longest send window (mfa.otp_send_window_seconds)
)

# --- administration (store.sqlite.admin) ---

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
    """CREATE TABLE IF NOT EXISTS auth_failures (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_failure_at REAL NOT NULL,
        expires_at REAL NOT NULL
    )""",
)

# Run by SQLiteStore.purge_expired with :now bound.
ADMIN_PURGE: tuple[str, ...] = ("DELETE FROM auth_failures WHERE expires_at <= :now",)

DDL += SESSION_RULES_DDL + MFA_DDL + ADMIN_DDL
