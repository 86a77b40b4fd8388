"""The OpenID Provider endpoints and the login flow's steps, one module per step (flow.py decides what happens next):
/authorize, /login, the upstream start, /callback, /token, /userinfo, /introspect, discovery and JWKS, /logout,
the session page and the signed-out notice; routes.py lists their routes.

May import bridge, flow, mfa, sessions, roles, oidc, store, web and config; never forward_auth, admin or app.
"""
