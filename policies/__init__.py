"""Pure decision functions: allow-list, MFA trust and step-up, session rules."""
