"""The admin API's OpenAPI 3.1 document: paths written here, request schemas generated from admin.api.models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from idp_bridge.admin.api.models import PolicyDryRun, PolicyRollback, PolicySave, TechnicianUpdate, TokenCreate

_MODELS: tuple[type[BaseModel], ...] = (PolicyDryRun, PolicySave, PolicyRollback, TechnicianUpdate, TokenCreate)
_ERROR = {
    "type": "object", "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}  # fmt: skip
_OBJ = {"type": "object"}
_STR = {"type": "string"}
_PREVIEW = {
    "type": "object", "required": ["base_version", "diff", "would_end_sessions", "would_lose_access"],
    "properties": {
        "base_version": {"type": "integer"}, "diff": _STR,
        "would_end_sessions": {"type": "array", "items": {
            "type": "object", "required": ["session_id", "user_id", "provider_id", "reason"],
            "properties": {"session_id": _STR, "user_id": _STR, "provider_id": _STR, "reason": {
                **_STR, "description": "provider_not_allowed, or the provider's global identity rule refuses the "
                "facts of the session's login: tenant_not_allowed, group_not_allowed, role_not_allowed, "
                "group_overage"}}}},
        "would_lose_access": {"type": "array", "description": "From provider changes only (users keep no identity "
                              "facts; a narrowed identity rule shows through the sessions it ends).", "items": {
            "type": "object", "required": ["user_id", "email", "portal", "provider_id"],
            "properties": {"user_id": _STR, "email": _STR, "portal": _STR, "provider_id": _STR}}},
    },
}  # fmt: skip


def _param(name: str, where: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema}


_USER = _param("user_id", "path", {"type": "string", "maxLength": 64})
_LIMIT = _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500})
_TIME = {"type": "number", "minimum": 0, "maximum": 99_999_999_999}


def _op(summary: str, scope: str, *, body: str | None = None, params: list[dict[str, Any]] | None = None,
        ok: int = 200, content: str = "application/json", result: str | None = None) -> dict[str, Any]:  # fmt: skip
    ok_schema = {"$ref": f"#/components/schemas/{result}"} if result else _OBJ if content.endswith("json") else _STR
    responses: dict[str, Any] = {
        str(ok): {"description": "OK", "content": {content: {"schema": ok_schema}}},
        **{str(code): {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/"
           "schemas/Error"}}}} for code, text in ((400, "Bad input"), (401, "No valid token"),
           (403, "Not allowed"), (404, "Not found"), (409, "Conflict"), (413, "Too large"), (422, "Invalid"))},
    }  # fmt: skip
    op: dict[str, Any] = {"summary": summary, "description": f"Scope: {scope}.", "parameters": params or [],
                          "responses": responses, "security": [{"token": []}]}  # fmt: skip
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{body}"}}}}  # fmt: skip
    return op


def openapi_document(issuer: str) -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": _ERROR, "PolicyPreview": _PREVIEW}
    for model in _MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas |= schema.pop("$defs", {})
        schemas[model.__name__] = schema
    audit_params = [_param("user_id", "query", {"type": "string", "maxLength": 64}),
                    _param("type", "query", {"type": "string", "maxLength": 100}),
                    _param("since", "query", _TIME), _param("until", "query", _TIME), _LIMIT]  # fmt: skip
    paths: dict[str, Any] = {
        "/policy": {"get": _op("The current policy and its version", "policy:read"),
                    "put": _op("Save a new policy version", "policy:write", body="PolicySave")},
        "/policy/versions": {"get": _op("Every policy version, newest first", "policy:read")},
        "/policy/versions/{version}": {"get": _op("One version with its document and diff", "policy:read",
                                                  params=[_param("version", "path", {"type": "integer", "minimum": 1,
                                                                                     "maximum": 2**31})])},
        "/policy/dry-run": {"post": _op("Diff and who would lose access; nothing changes", "policy:write",
                                        body="PolicyDryRun", result="PolicyPreview")},
        "/policy/rollback": {"post": _op("Save an old version again", "policy:write", body="PolicyRollback")},
        "/technicians": {"get": _op("List and search technicians", "technicians:read", params=[
            _param("q", "query", {"type": "string", "maxLength": 200}), _LIMIT,
            _param("offset", "query", {"type": "integer", "minimum": 0, "maximum": 10**9})])},
        "/technicians/{user_id}": {"get": _op("One technician", "technicians:read", params=[_USER]),
                                   "patch": _op("Change MFA mode, enforcement, limits, role, disabled",
                                                "technicians:write (admins:write for admins)",
                                                body="TechnicianUpdate", params=[_USER])},
        "/technicians/{user_id}/reset-mfa": {"post": _op("Reset MFA (enroll again); signs out everywhere",
                                                         "technicians:write", params=[_USER])},
        "/technicians/{user_id}/recovery-codes": {"post": _op("New recovery codes on their behalf",
                                                              "technicians:write", params=[_USER])},
        "/sessions": {"get": _op("Live sessions", "sessions:read", params=[
            _param("user_id", "query", {"type": "string", "maxLength": 64}),
            _param("provider_id", "query", {"type": "string", "maxLength": 64}),
            _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000})])},
        "/sessions/{session_id}": {"delete": _op("End a session", "sessions:write", params=[
            _param("session_id", "path", {"type": "string", "maxLength": 64})])},
        "/audit": {"get": _op("Query the audit log, newest first", "audit:read", params=audit_params)},
        "/audit/export": {"get": _op("The audit log as JSON lines, oldest first", "audit:read", params=audit_params,
                                     content="application/x-ndjson")},
        "/tokens": {"get": _op("API tokens (never their secrets)", "tokens:write"),
                    "post": _op("Create an API token (its secret is shown once)", "tokens:write", body="TokenCreate",
                                ok=201)},
        "/tokens/{token_id}": {"delete": _op("Revoke an API token", "tokens:write", params=[
            _param("token_id", "path", {"type": "string", "maxLength": 64})])},
        "/emergency-access": {"get": _op("Whether two Super Admins have MFA enrolled", "technicians:read")},
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "idp-bridge admin API", "version": "1",
                 "description": "Every error is a 4xx JSON body {error, message}. Same rules as the admin UI."},
        "servers": [{"url": f"{issuer}/admin/api"}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                                     "description": "ibt_... from `idp-bridge admin token create`"}}},
    }  # fmt: skip
