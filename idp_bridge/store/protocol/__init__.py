"""The Store protocol, in four parts that `Store` (core) combines: core, mfa, session_rules and admin."""
