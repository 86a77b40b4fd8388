"""Sessions: the cookie and CSRF tokens bound to it, finding the live session (access), opening one under the
session rules (limits, browser), ending it in one place (end, refused, backchannel), refresh tokens, the
per-worker cache and background runtime, and the periodic sweep.

cookie, cache and runtime are parts the Bridge is built from and import nothing above store; the rest may import
bridge, roles, oidc, store, web and config, and forward_auth.target through runtime.
"""
