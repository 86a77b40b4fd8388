"""Security-team administration: changing the versioned policy, API tokens, technicians, ending sessions, the
emergency-access check; the JSON API in admin.api and the console in admin.console.

May import every package below it (bridge, sessions, mfa, roles, policy, audit, endpoints, built_in_sign_in, ...);
nothing imports admin except app and cli.
"""
