"""Admin API: the allowed-provider policy (current, versions, dry run, save, rollback)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin import policy_service
from idp_bridge.admin.api.common import APIError, api, body, bridge_of, caller, json_response
from idp_bridge.admin.api.models import PolicyDryRun, PolicyRollback, PolicySave
from idp_bridge.policy.document import PolicyDocument, PolicyInvalid, document_problems
from idp_bridge.store.records.admin import PolicyVersion
from policies.admin_authorization import Action


def _version_json(v: PolicyVersion, *, full: bool = False) -> dict[str, object]:
    data: dict[str, object] = {
        "version": v.version, "author": v.author, "comment": v.comment, "created_at": v.created_at,
        "rollback_of": v.rollback_of,
    }  # fmt: skip
    if full:
        data |= {"policy": json.loads(v.document), "diff": v.diff}
    return data


def _checked(request: Request, document: PolicyDocument) -> PolicyDocument:
    problems = document_problems(document, bridge_of(request).config)
    if problems:
        raise APIError(422, "invalid_policy", "; ".join(problems))
    return document


@api
async def get_policy(request: Request) -> Response:
    await caller(request, Action.POLICY_READ)
    version, document = await bridge_of(request).policy.current()
    return json_response({"version": version, "policy": document.model_dump(mode="json")})


@api
async def list_versions(request: Request) -> Response:
    await caller(request, Action.POLICY_READ)
    bridge = bridge_of(request)
    versions = [_version_json(v) for v in await bridge.store.list_policy_versions(limit=500)]
    if not versions:
        versions = [{"version": 1, "author": policy_service.INITIAL_AUTHOR, "comment": "the config file's policy",
                     "created_at": None, "rollback_of": None}]  # fmt: skip
    return json_response({"versions": versions})


@api
async def get_version(request: Request) -> Response:
    await caller(request, Action.POLICY_READ)
    bridge = bridge_of(request)
    raw = request.path_params["version"]
    number = int(raw) if raw.isdigit() and len(raw) < 10 else 0
    stored = await bridge.store.get_policy_version(number) if number else None
    if stored is not None:
        return json_response(_version_json(stored, full=True))
    if number == 1 and await bridge.store.policy_version_number() == 0:
        document = bridge.policy.initial
        return json_response({"version": 1, "author": policy_service.INITIAL_AUTHOR, "comment": "the config file's "
                              "policy", "created_at": None, "rollback_of": None,
                              "policy": document.model_dump(mode="json"), "diff": ""})  # fmt: skip
    raise APIError(404, "not_found", f"There is no policy version {raw[:20]!r}.")


def _preview_json(preview: policy_service.Preview) -> dict[str, object]:
    """The dry run (schema: admin.api.openapi's PolicyPreview): each session that would end says why (`reason`:
    "provider_not_allowed" or the identity rule's refusal, e.g. "group_not_allowed")."""
    sessions = [{k: s[k] for k in ("session_id", "user_id", "provider_id", "reason")} for s in preview.lost.sessions]
    return {
        "base_version": preview.base_version, "diff": preview.diff,
        "would_end_sessions": sessions, "would_lose_access": preview.lost.users,
    }  # fmt: skip


@api
async def dry_run(request: Request) -> Response:
    await caller(request, Action.POLICY_WRITE)
    data = await body(request, PolicyDryRun)
    preview = await policy_service.preview(bridge_of(request), _checked(request, data.policy))
    return json_response(_preview_json(preview))


@api
async def save_policy(request: Request) -> Response:
    who = await caller(request, Action.POLICY_WRITE)
    data = await body(request, PolicySave)
    document = _checked(request, data.policy)
    try:
        saved = await policy_service.save(
            bridge_of(request), document, author=who.actor, comment=data.comment, base_version=data.base_version
        )
    except policy_service.PolicyConflict as exc:
        raise APIError(409, "conflict", str(exc)) from None
    except policy_service.PolicyUnchanged as exc:
        raise APIError(409, "unchanged", str(exc)) from None
    return json_response(_version_json(saved, full=True))


@api
async def rollback(request: Request) -> Response:
    who = await caller(request, Action.POLICY_WRITE)
    data = await body(request, PolicyRollback)
    try:
        saved = await policy_service.rollback(bridge_of(request), data.version, author=who.actor, comment=data.comment)
    except policy_service.VersionNotFound as exc:
        raise APIError(404, "not_found", str(exc)) from None
    except PolicyInvalid as exc:
        message = f"version {data.version} does not fit the current config: {exc}"
        raise APIError(422, "invalid_policy", message) from None
    except policy_service.PolicyUnchanged as exc:
        raise APIError(409, "unchanged", str(exc)) from None
    except policy_service.PolicyConflict as exc:
        raise APIError(409, "conflict", str(exc)) from None
    return json_response(_version_json(saved, full=True))
