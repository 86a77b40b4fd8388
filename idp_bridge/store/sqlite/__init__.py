"""The embedded SQLite backend (the default, one host): core (SQLiteStore), its mfa, session_rules and admin parts,
the schema and the row codec; connection (its plumbing) and thread (every call runs off the event loop)."""
