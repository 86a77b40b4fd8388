"""The SQLite schema of SQLiteStore (store.sqlite.core): its tables, indexes and version."""

from __future__ import annotations

from idp_bridge.store.sqlite.admin_schema import ADMIN_DDL
from idp_bridge.store.sqlite.mfa_schema import MFA_DDL
from idp_bridge.store.sqlite.session_rules_schema import SESSION_RULES_DDL

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
DDL += SESSION_RULES_DDL + MFA_DDL + ADMIN_DDL  # session rules, MFA and admin tables, each in its own module
