"""idp-bridge: an OIDC identity-provider bridge with step-up MFA.

The top level holds only the app factory (app.py; asgi.py builds it for worker processes), the Bridge object and
its parts (bridge.py), turning config into upstream providers (wiring.py), the clock (clock.py), and the login
flow: flow.py decides what happens after each step, built_in_sign_in.py signs in for the built-in pseudo-portals.
Everything else sits in a package by subject. Which package may import which is docs/architecture.md, checked by
tests/test_import_layers.py.
"""

__version__ = "0.1.0"
