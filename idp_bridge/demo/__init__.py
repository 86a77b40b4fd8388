"""The `idp-bridge demo` pieces: a stand-in upstream OIDC provider process and a small demo portal.

May import the app factory and config; only cli imports demo.
"""
