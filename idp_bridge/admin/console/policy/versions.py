"""The console's policy versions: GET /admin/policy/versions, one version (its diff, document and what rolling back
to it would change) and POST /admin/policy/rollback (saves that version's document again, as a new version)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.admin import policy_service
from idp_bridge.admin.console.handler import Refusal, admin_render, bridge_of, form, page, redirect, require
from idp_bridge.admin.console.policy.form import MAX_COMMENT
from idp_bridge.admin.console.policy.pages import VERSIONS, lost_view, version_record
from idp_bridge.admin.console.viewer import Viewer
from idp_bridge.policy.document import PolicyInvalid
from policies.admin_authorization import Action


@page
async def versions_page(request: Request, viewer: Viewer) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.POLICY_READ, bridge.clock.now())
    versions = list(await bridge.store.list_policy_versions(limit=500)) or [await version_record(bridge, 1)]
    current, _ = await bridge.policy.current()
    return admin_render(request, viewer, "policy_versions.html", versions=versions, current_version=current)


def _number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise Refusal(404, "not_found", "No such version", f"There is no policy version {raw[:20]!r}.", back=VERSIONS)
    return int(raw)


@page
async def version_page(request: Request, viewer: Viewer) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.POLICY_READ, bridge.clock.now())
    record = await version_record(bridge, _number(request.path_params["version"]))
    current, _ = await bridge.policy.current()
    rollback: dict[str, Any] | None = None
    if viewer.may(Action.POLICY_WRITE) and record.version != current:
        # What rolling back would do, before the button: the same dry run as the editor's preview.
        try:
            document = await policy_service.load_version(bridge, record.version)
        except PolicyInvalid as exc:
            rollback = {"problems": exc.problems}
        else:
            dry_run = await policy_service.preview(bridge, document)
            rollback = {"problems": [], "diff": dry_run.diff, "lost": await lost_view(request, viewer, dry_run.lost)}
    return admin_render(
        request,
        viewer,
        "policy_version.html",
        record=record,
        current_version=current,
        rollback=rollback,
        max_comment=MAX_COMMENT,
    )


@form
async def rollback(request: Request, viewer: Viewer, params: dict[str, str]) -> Response:
    bridge = bridge_of(request)
    require(viewer, Action.POLICY_WRITE, bridge.clock.now(), back=VERSIONS)
    raw = params.get("version", "")
    number = _number(raw)
    back = f"{VERSIONS}/{number}"
    comment = params.get("comment", "").strip()
    if len(comment) > MAX_COMMENT:
        raise Refusal(
            422,
            "bad_comment",
            "Comment too long",
            f"comment: at most {MAX_COMMENT} characters (got {len(comment)})",
            back=back,
        )
    try:
        saved = await policy_service.rollback(bridge, number, author=viewer.actor, comment=comment)
    except policy_service.VersionNotFound:
        raise Refusal(
            404, "not_found", "No such version", f"There is no policy version {number}.", back=VERSIONS
        ) from None
    except PolicyInvalid as exc:
        raise Refusal(
            422,
            "invalid_policy",
            "Cannot roll back",
            f"Version {number} does not fit the current configuration; nothing was saved.",
            back=back,
            problems=tuple(exc.problems),
        ) from None
    except policy_service.PolicyUnchanged:
        raise Refusal(
            409,
            "unchanged",
            "Nothing to roll back",
            f"Version {number} is the same as the current policy; nothing was saved.",
            back=back,
        ) from None
    except policy_service.PolicyConflict:
        raise Refusal(
            409,
            "conflict",
            "Someone else changed the policy",
            "Another change was saved at the same moment; nothing was saved. Look at the versions and try again.",
            back=VERSIONS,
        ) from None
    return redirect(f"{VERSIONS}/{saved.version}", "policy_rolled_back")
