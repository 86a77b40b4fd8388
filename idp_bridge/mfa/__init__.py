"""MFA mechanics: TOTP, recovery codes, email/SMS codes, remembered devices, secrets at rest, pending logins; the
second-factor pages in mfa.pages.

May import bridge, flow, sessions, roles, audit, oidc, store, web and config; never endpoints, admin or app.
"""
