"""The second-factor pages (/mfa/...), the gate between the upstream login and the session (flow step 4), and a
technician's own MFA settings (/account/mfa/...); routes.py lists their routes.
"""
