"""The routes of the second-factor pages, the technician's MFA settings and token introspection."""

from __future__ import annotations

from starlette.routing import Route

from idp_bridge.endpoints import introspect, mfa_account, mfa_login, mfa_verify

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

ACCOUNT_ROUTES = [
    Route("/account/mfa", mfa_account.show, methods=["GET"]),
    Route("/account/mfa/method", mfa_account.set_method, methods=["POST"]),
    Route("/account/mfa/devices/revoke", mfa_account.revoke_device, methods=["POST"]),
    Route("/account/mfa/recovery-codes", mfa_account.reset_codes, methods=["POST"]),
    Route("/account/mfa/reconfigure", mfa_account.reconfigure, methods=["POST"]),
    Route("/account/mfa/reconfigure/confirm", mfa_account.confirm_reconfigure, methods=["POST"]),
    Route("/account/mfa/disable", mfa_account.disable, methods=["POST"]),
    Route("/account/mfa/enable", mfa_account.enable, methods=["POST"]),
]
MFA_ROUTES += ACCOUNT_ROUTES
MFA_ROUTES.append(Route("/introspect", introspect.introspect, methods=["POST"]))
