"""The routes of the admin console (/admin/...)."""

from __future__ import annotations

from starlette.routing import Route

from idp_bridge.admin_ui import dashboard, sessions_pages, sign_in, token_pages

ADMIN_UI_ROUTES = [
    Route("/admin", dashboard.dashboard, methods=["GET"]),
    Route("/admin/sign-in", sign_in.sign_in, methods=["GET"]),
    Route("/admin/step-up", sign_in.step_up, methods=["GET"]),
    Route("/admin/sessions", sessions_pages.sessions_page, methods=["GET"]),
    Route("/admin/sessions/{session_id}/end", sessions_pages.end_session, methods=["POST"]),
    Route("/admin/tokens", token_pages.tokens_page, methods=["GET"]),
    Route("/admin/tokens", token_pages.new_token, methods=["POST"]),
    Route("/admin/tokens/{token_id}/revoke", token_pages.revoke_token, methods=["POST"]),
]
