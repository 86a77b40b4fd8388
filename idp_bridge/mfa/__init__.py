"""MFA mechanics: TOTP, recovery codes, email/SMS codes, remembered devices, secrets at rest, pending logins."""
