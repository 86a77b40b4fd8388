"""The routes of the admin API (/admin/api/...) and its OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from idp_bridge.admin.api import audit, people, policy
from idp_bridge.admin.api.common import bridge_of
from idp_bridge.admin.api.openapi import openapi_document

API = "/admin/api"


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document(bridge_of(request).issuer))


ADMIN_API_ROUTES = [
    Route(f"{API}/openapi.json", openapi, methods=["GET"]),
    Route(f"{API}/policy", policy.get_policy, methods=["GET"]),
    Route(f"{API}/policy", policy.save_policy, methods=["PUT"]),
    Route(f"{API}/policy/versions", policy.list_versions, methods=["GET"]),
    Route(f"{API}/policy/versions/{{version}}", policy.get_version, methods=["GET"]),
    Route(f"{API}/policy/dry-run", policy.dry_run, methods=["POST"]),
    Route(f"{API}/policy/rollback", policy.rollback, methods=["POST"]),
    Route(f"{API}/technicians", people.list_technicians, methods=["GET"]),
    Route(f"{API}/technicians/{{user_id}}", people.get_technician, methods=["GET"]),
    Route(f"{API}/technicians/{{user_id}}", people.update_technician, methods=["PATCH"]),
    Route(f"{API}/technicians/{{user_id}}/reset-mfa", people.reset_mfa, methods=["POST"]),
    Route(f"{API}/technicians/{{user_id}}/recovery-codes", people.recovery_codes, methods=["POST"]),
    Route(f"{API}/sessions", people.list_sessions, methods=["GET"]),
    Route(f"{API}/sessions/{{session_id}}", people.end_session, methods=["DELETE"]),
    Route(f"{API}/audit", audit.query_audit, methods=["GET"]),
    Route(f"{API}/audit/export", audit.export_audit, methods=["GET"]),
    Route(f"{API}/tokens", audit.list_tokens, methods=["GET"]),
    Route(f"{API}/tokens", audit.new_token, methods=["POST"]),
    Route(f"{API}/tokens/{{token_id}}", audit.revoke_token, methods=["DELETE"]),
    Route(f"{API}/emergency-access", audit.emergency_access, methods=["GET"]),
]
