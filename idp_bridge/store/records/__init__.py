"""The frozen records the store keeps, by the protocol part that owns them: core, mfa, session_rules and admin."""
