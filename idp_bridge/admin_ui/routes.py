"""The routes of the admin console (/admin/...)."""

from __future__ import annotations

from starlette.routing import Route

from idp_bridge.admin_ui import dashboard, policy_pages, policy_versions, sessions_pages, sign_in

ADMIN_UI_ROUTES = [
    Route("/admin", dashboard.dashboard, methods=["GET"]),
    Route("/admin/sign-in", sign_in.sign_in, methods=["GET"]),
    Route("/admin/step-up", sign_in.step_up, methods=["GET"]),
    Route("/admin/sessions", sessions_pages.sessions_page, methods=["GET"]),
    Route("/admin/sessions/{session_id}/end", sessions_pages.end_session, methods=["POST"]),
    Route("/admin/policy", policy_pages.policy_page, methods=["GET"]),
    Route("/admin/policy/preview", policy_pages.preview, methods=["POST"]),
    Route("/admin/policy/save", policy_pages.save, methods=["POST"]),
    Route("/admin/policy/rollback", policy_versions.rollback, methods=["POST"]),
    Route("/admin/policy/versions", policy_versions.versions_page, methods=["GET"]),
    Route("/admin/policy/versions/{version}", policy_versions.version_page, methods=["GET"]),
]
