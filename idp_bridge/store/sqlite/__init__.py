"""The embedded SQLite backend (the default, one host): core (SQLiteStore), mfa, session_rules and admin mixins, the
schema and the row codec."""
