"""The console's policy editor: GET /admin/policy, its dry run (POST .../preview: diff, who loses access) and save.

The pages only read forms and render; every change goes through admin.policy_service, as the JSON API's does
(versions and rollback: policy_versions.py).
A save names the version the editor started from, so a change saved by someone else meanwhile is a 409, never
silently overwritten.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin import policy_service
from idp_bridge.admin.console.handler import (
    BASE,
    Refusal,
    admin_render,
    audit_refusal,
    bridge_of,
    form,
    page,
    redirect,
    require,
)
from idp_bridge.admin.console.policy.form import (
    MAX_COMMENT,
    MAX_RULES_BYTES,
    EditorState,
    hidden_document,
    layout,
    read_form,
    state_of,
)
from idp_bridge.admin.console.viewer import Viewer
from idp_bridge.bridge import Bridge
from idp_bridge.policy.document import PolicyDocument, PolicyInvalid, canonical, diff, parse
from idp_bridge.store.records.admin import PolicyVersion
from policies.admin_authorization import Action
from providers import bounded_json

PAGE = f"{BASE}/policy"
VERSIONS = f"{PAGE}/versions"


def _editor(request: Request, version: int, state: EditorState) -> dict[str, Any]:
    """What the editor template needs besides the state: the config's providers and portals by display name
    (and `back`, where a step-up from a page the preview POST rendered returns to)."""
    config = bridge_of(request).config
    return {
        "state": state,
        "base_version": version,
        "layout": layout(config),
        "max_comment": MAX_COMMENT,
        "back": PAGE,
        "providers": [(pid, p.display_name) for pid, p in config.providers.items()],
        "portals": [(i, cid, p.display_name) for i, (cid, p) in enumerate(config.portals.items())],
    }


async def version_record(bridge: Bridge, number: int) -> PolicyVersion:
    """Version `number`'s record; version 1 before any save is the config file's policy (not stored yet)."""
    stored = await bridge.store.get_policy_version(number)
    if stored is not None:
        return stored
    if number == 1 and await bridge.store.policy_version_number() == 0:
        initial = bridge.policy.initial
        text, changes = canonical(initial), diff(None, initial, "empty", "version 1")
        return PolicyVersion(1, text, policy_service.INITIAL_AUTHOR, "the config file's policy", 0.0, changes)
    raise Refusal(404, "not_found", "No such version", f"There is no policy version {number}.", back=VERSIONS)


@page
async def policy_page(request: Request, viewer: Viewer) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.POLICY_READ, bridge.clock.now())
    version, document = await bridge.policy.current()
    return admin_render(
        request,
        viewer,
        "policy.html",
        current=await version_record(bridge, version),
        problems=[],
        **_editor(request, version, state_of(document, bridge.config)),
    )


def _base_version(raw: str | None) -> int:
    if raw is None or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        shown = (raw or "")[:20]
        raise Refusal(
            400, "bad_form", "Invalid form", f"base_version: must be a version number (got {shown!r})", back=PAGE
        )
    return int(raw)


def _conflict(base: int, current: int) -> Refusal:
    return Refusal(
        409,
        "conflict",
        "Someone else changed the policy",
        f"You started from version {base}, but someone else saved version {current} meanwhile. Reload the policy "
        "to see their change, then make yours again.",
        back=PAGE,
    )


@form
async def preview(request: Request, viewer: Viewer, params: dict[str, str]) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.POLICY_WRITE, bridge.clock.now(), back=PAGE)
    base = _base_version(params.get("base_version"))
    version, current = await bridge.policy.current()
    if base != version:
        raise _conflict(base, version)
    proposal = read_form(params, bridge.config, current)
    if proposal.document is None:
        refusal = Refusal(
            422, "invalid_policy", "The policy has problems", "Nothing was saved.", problems=tuple(proposal.problems)
        )
        await audit_refusal(request, viewer, refusal)
        return admin_render(
            request,
            viewer,
            "policy.html",
            status=422,
            current=await version_record(bridge, version),
            problems=proposal.problems,
            **_editor(request, version, proposal.state),
        )
    dry_run = await policy_service.preview(bridge, proposal.document)
    return admin_render(
        request,
        viewer,
        "policy_preview.html",
        dry_run=dry_run,
        document=hidden_document(proposal.document),
        next_version=version + 1,
        lost=await lost_view(request, viewer, dry_run.lost),
        **_editor(request, version, proposal.state),
    )


WHY_ENDED = {
    "provider_not_allowed": "provider no longer allowed",
    "tenant_not_allowed": "tenant or domain not allowed",
    "group_not_allowed": "not in an allowed group",
    "role_not_allowed": "no allowed app role",
    "group_overage": "too many groups to check",
}
"""Why a session would end (LostAccess.sessions' `reason`), in words for the preview's table."""


async def lost_view(request: Request, viewer: Viewer, lost: policy_service.LostAccess) -> dict[str, Any]:
    """The dry run's losses for the page: portals by display name, sessions with their user's email and why."""
    bridge = bridge_of(request)
    portals = {cid: p.display_name for cid, p in bridge.config.portals.items()}
    users = [u | {"portal_name": portals.get(u["portal"], u["portal"])} for u in lost.users]
    emails: dict[str, str] = {}
    for uid in {s["user_id"] for s in lost.sessions}:
        user = await bridge.store.get_user(uid)
        emails[uid] = (user.email or user.name or "") if user is not None else ""
    sessions = [
        s | {"who": emails.get(s["user_id"], ""), "why": WHY_ENDED.get(s["reason"], s["reason"])} for s in lost.sessions
    ]
    own = any(s["session_id"] == viewer.entry.session.id for s in lost.sessions)
    return {"sessions": sessions, "users": users, "ends_own_session": own}


def _comment(raw: str | None) -> str:
    comment = (raw or "").strip()
    if not comment or len(comment) > MAX_COMMENT:
        raise Refusal(
            422,
            "bad_comment",
            "A comment is needed",
            f"comment: say why, in 1 to {MAX_COMMENT} characters (got {len(comment)})",
            back=PAGE,
        )
    return comment


@form
async def save(request: Request, viewer: Viewer, params: dict[str, str]) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.POLICY_WRITE, bridge.clock.now(), back=PAGE)
    base = _base_version(params.get("base_version"))
    comment = _comment(params.get("comment"))
    document = _document(params.get("document"), bridge)
    try:
        saved = await policy_service.save(bridge, document, author=viewer.actor, comment=comment, base_version=base)
    except policy_service.PolicyConflict:
        raise _conflict(base, (await bridge.policy.current())[0]) from None
    except policy_service.PolicyUnchanged:
        raise Refusal(
            409,
            "unchanged",
            "Nothing to save",
            "The proposed policy is the same as the current version; nothing was saved.",
            back=PAGE,
        ) from None
    return redirect(f"{VERSIONS}/{saved.version}", "policy_saved")


def _document(raw: str | None, bridge: Bridge) -> PolicyDocument:
    """The confirmation form's document, validated again (the config may have changed since the preview)."""
    try:
        return parse(bounded_json.loads(raw or "", max_bytes=MAX_RULES_BYTES), bridge.config)
    except PolicyInvalid as exc:
        raise Refusal(
            422,
            "invalid_policy",
            "The policy has problems",
            "Nothing was saved.",
            back=PAGE,
            problems=tuple(exc.problems),
        ) from None
    except ValueError:
        raise Refusal(
            400,
            "bad_form",
            "Invalid form",
            "document: not a policy document in JSON; preview the change again.",
            back=PAGE,
        ) from None
