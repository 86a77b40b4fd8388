"""The routes of the second-factor pages, the technician's MFA settings and token introspection."""

from __future__ import annotations

from starlette.routing import Route

from idp_bridge.endpoints import mfa_login, mfa_verify

MFA_ROUTES = [
    Route("/mfa", mfa_login.show, methods=["GET"]),
    Route("/mfa/totp", mfa_verify.verify_totp, methods=["POST"]),
    Route("/mfa/recovery", mfa_verify.verify_recovery, methods=["POST"]),
    Route("/mfa/otp", mfa_verify.verify_otp, methods=["POST"]),
    Route("/mfa/otp/resend", mfa_verify.resend_otp, methods=["POST"]),
    Route("/mfa/enroll", mfa_verify.confirm, methods=["POST"]),
    Route("/mfa/reconfigure", mfa_verify.reconfigure, methods=["POST"]),
    Route("/mfa/complete", mfa_verify.complete, methods=["POST"]),
]
