"""The routes of the admin console (/admin/...)."""

from __future__ import annotations

from starlette.routing import Route

from idp_bridge.admin.console import audit_pages, dashboard, sessions_pages, sign_in, token_pages
from idp_bridge.admin.console.policy import pages as policy_pages
from idp_bridge.admin.console.policy import versions as policy_versions
from idp_bridge.admin.console.technicians import mfa_pages as technician_mfa_pages
from idp_bridge.admin.console.technicians import pages as technician_pages

_TECHNICIAN = "/admin/technicians/{user_id}"

ADMIN_UI_ROUTES = [
    Route("/admin", dashboard.dashboard, methods=["GET"]),
    Route("/admin/sign-in", sign_in.sign_in, methods=["GET"]),
    Route("/admin/step-up", sign_in.step_up, methods=["GET"]),
    Route("/admin/sessions", sessions_pages.sessions_page, methods=["GET"]),
    Route("/admin/sessions/{session_id}/end", sessions_pages.end_session, methods=["POST"]),
    Route("/admin/tokens", token_pages.tokens_page, methods=["GET"]),
    Route("/admin/tokens", token_pages.new_token, methods=["POST"]),
    Route("/admin/tokens/{token_id}/revoke", token_pages.revoke_token, methods=["POST"]),
    Route("/admin/technicians", technician_pages.technicians_page, methods=["GET"]),
    Route(_TECHNICIAN, technician_pages.technician_page, methods=["GET"]),
    Route(_TECHNICIAN, technician_pages.save_technician, methods=["POST"]),
    Route(f"{_TECHNICIAN}/reset-mfa", technician_mfa_pages.confirm_reset_page, methods=["GET"]),
    Route(f"{_TECHNICIAN}/reset-mfa", technician_mfa_pages.reset_mfa, methods=["POST"]),
    Route(f"{_TECHNICIAN}/recovery-codes", technician_mfa_pages.new_recovery_codes, methods=["POST"]),
    Route("/admin/audit", audit_pages.audit_page, methods=["GET"]),
    Route("/admin/audit/export", audit_pages.export_audit, methods=["GET"]),
    Route("/admin/policy", policy_pages.policy_page, methods=["GET"]),
    Route("/admin/policy/preview", policy_pages.preview, methods=["POST"]),
    Route("/admin/policy/save", policy_pages.save, methods=["POST"]),
    Route("/admin/policy/rollback", policy_versions.rollback, methods=["POST"]),
    Route("/admin/policy/versions", policy_versions.versions_page, methods=["GET"]),
    Route("/admin/policy/versions/{version}", policy_versions.version_page, methods=["GET"]),
]
