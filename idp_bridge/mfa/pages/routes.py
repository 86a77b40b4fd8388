"""The routes of the second-factor pages (/mfa/...) and of the technician's own MFA settings (/account/mfa/...)."""

from __future__ import annotations

from starlette.routing import Route

from idp_bridge.mfa.pages import account, login, verify

MFA_ROUTES = [
    Route("/mfa", login.show, methods=["GET"]),
    Route("/mfa/totp", verify.verify_totp, methods=["POST"]),
    Route("/mfa/recovery", verify.verify_recovery, methods=["POST"]),
    Route("/mfa/otp", verify.verify_otp, methods=["POST"]),
    Route("/mfa/otp/resend", verify.resend_otp, methods=["POST"]),
    Route("/mfa/enroll", verify.confirm, methods=["POST"]),
    Route("/mfa/reconfigure", verify.reconfigure, methods=["POST"]),
    Route("/mfa/complete", verify.complete, methods=["POST"]),
]

ACCOUNT_ROUTES = [
    Route("/account/mfa", account.show, methods=["GET"]),
    Route("/account/mfa/method", account.set_method, methods=["POST"]),
    Route("/account/mfa/devices/revoke", account.revoke_device, methods=["POST"]),
    Route("/account/mfa/recovery-codes", account.reset_codes, methods=["POST"]),
    Route("/account/mfa/reconfigure", account.reconfigure, methods=["POST"]),
    Route("/account/mfa/reconfigure/confirm", account.confirm_reconfigure, methods=["POST"]),
    Route("/account/mfa/disable", account.disable, methods=["POST"]),
    Route("/account/mfa/enable", account.enable, methods=["POST"]),
    Route("/account/mfa/send-code", account.send_code, methods=["POST"]),
]
MFA_ROUTES += ACCOUNT_ROUTES
