"""Changing the policy: dry run (who would lose access), save as a new version, roll back; sessions end at once.

Every save appends a version (author, time, comment, diff) with a compare-and-set on the version number, ends the
live sessions the new policy refuses (opened through a provider it no longer allows, or of an account its global
identity rule for that provider refuses, judged on the facts the session recorded at login), writes an audit event
and applies the policy on this worker at once (other workers within policy.source.REFRESH_SECONDS).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from idp_bridge.admin.session_control import end_sessions_refused_by_policy
from idp_bridge.policy.document import PolicyDocument, canonical, diff, parse, to_rules
from idp_bridge.sessions.refused import refused_sessions
from idp_bridge.store.records.admin import PolicyVersion
from policies.allow_list import AllowListRules, decide_provider
from policies.decisions import Deny

if TYPE_CHECKING:
    from idp_bridge.bridge import Bridge

INITIAL_AUTHOR = "config-file"


class PolicyConflict(Exception):
    """Someone saved another version meanwhile (or the base version is stale)."""


class PolicyUnchanged(Exception):
    """The new document equals the current one."""


@dataclass(frozen=True)
class LostAccess:
    """What a change would take away: sessions that would end and (user, portal) pairs that could not sign in.

    `sessions`: session_id, user_id, provider_id and `reason` ("provider_not_allowed", or the identity rule's
    refusal: "tenant_not_allowed", "group_not_allowed", "role_not_allowed", "group_overage"). `users`: user_id,
    email, portal, provider_id, from provider changes only: users do not keep their tenant, groups or roles (only
    sessions do), so a narrowed identity rule shows here through the sessions it ends, not as users; sessions
    opened before sessions kept those facts cannot be judged and are not listed (nor ended)."""

    sessions: list[dict[str, str]] = field(default_factory=list)
    users: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Preview:
    base_version: int
    diff: str
    lost: LostAccess


async def preview(bridge: Bridge, document: PolicyDocument) -> Preview:
    """The dry run: the diff against the current version and who would lose access; nothing is changed."""
    version, current = await bridge.policy.current()
    return Preview(version, diff(current, document, f"version {version}", "proposed"), await _lost(bridge, document))


async def _lost(bridge: Bridge, document: PolicyDocument) -> LostAccess:
    old, new = await bridge.policy.rules(), to_rules(document, bridge.config)
    now = bridge.clock.now()
    sessions = [
        {"session_id": r.session.id, "user_id": r.session.user_id, "provider_id": r.session.provider_id,
         "reason": r.reason}
        for r in await refused_sessions(bridge.store, new, now)
    ]  # fmt: skip
    users: list[dict[str, str]] = []
    offset = 0
    while batch := await bridge.store.search_users(None, 500, offset):
        offset += len(batch)
        for user in batch:
            for portal in bridge.config.portals:
                if _allowed(old, portal, user.provider_id) and not _allowed(new, portal, user.provider_id):
                    entry = {"user_id": user.id, "email": user.email or "", "portal": portal}
                    users.append(entry | {"provider_id": user.provider_id})
    return LostAccess(sessions, users)


def _allowed(rules: AllowListRules, portal: str, provider_id: str) -> bool:
    return not isinstance(decide_provider(rules, portal, provider_id), Deny)


async def save(
    bridge: Bridge,
    document: PolicyDocument,
    *,
    author: str,
    comment: str,
    base_version: int | None = None,
    rollback_of: int | None = None,
) -> PolicyVersion:
    """Save `document` as the next version. `base_version` (the version the editor started from) guards against
    overwriting someone else's change. Raises PolicyConflict or PolicyUnchanged; nothing is changed then."""
    version, current = await bridge.policy.current()
    if base_version is not None and base_version != version:
        raise PolicyConflict(f"the policy is at version {version}, not {base_version}: reload and edit again")
    if canonical(current) == canonical(document):
        raise PolicyUnchanged("the new policy is the same as the current version")
    now = bridge.clock.now()
    if await bridge.store.policy_version_number() == 0:
        # The config file's policy becomes version 1, so that rolling back to it is possible.
        await bridge.store.add_policy_version(
            PolicyVersion(1, canonical(current), INITIAL_AUTHOR, "initial policy from the config file", now,
                          diff(None, current, "empty", "version 1"))
        )  # fmt: skip
        version = await bridge.store.policy_version_number()
    record = PolicyVersion(
        version=version + 1,
        document=canonical(document),
        author=author,
        comment=comment,
        created_at=now,
        diff=diff(current, document, f"version {version}", f"version {version + 1}"),
        rollback_of=rollback_of,
    )
    if not await bridge.store.add_policy_version(record):
        raise PolicyConflict("another change was saved at the same moment: reload and edit again")
    bridge.policy.invalidate()
    ended = await end_disallowed_sessions(bridge, to_rules(document, bridge.config))
    await bridge.auditor.record(
        "policy.changed", "success", user_id=None, actor=author, version=record.version, comment=comment,
        rollback_of=rollback_of, sessions_ended=ended,
    )  # fmt: skip
    return record


async def end_disallowed_sessions(bridge: Bridge, rules: AllowListRules) -> int:
    """End every live session the rules refuse (provider no longer allowed, or identity facts refused by its global
    identity rule); one forced-logout audit event per user, naming why (`refusals`). Returns how many ended."""
    ended = await end_sessions_refused_by_policy(bridge, rules)
    by_user = Counter(refused.session.user_id for refused in ended)
    for user_id, count in by_user.items():
        refusals = sorted({r.reason for r in ended if r.session.user_id == user_id})
        await bridge.auditor.record("session.forced_logout", "success", user_id=user_id, reason="policy_changed",
                                    sessions=count, refusals=refusals)  # fmt: skip
    return len(ended)


class VersionNotFound(LookupError):
    """No such policy version."""


async def load_version(bridge: Bridge, number: int) -> PolicyDocument:
    """The document of one version (version 1 is the config file's policy until a change is saved)."""
    stored = await bridge.store.get_policy_version(number)
    if stored is None:
        if number == 1 and await bridge.store.policy_version_number() == 0:
            return bridge.policy.initial
        raise VersionNotFound(f"there is no policy version {number}")
    return parse(json.loads(stored.document), bridge.config)


async def rollback(bridge: Bridge, number: int, *, author: str, comment: str) -> PolicyVersion:
    """Save the document of version `number` again, as a new version."""
    document = await load_version(bridge, number)
    return await save(bridge, document, author=author, comment=comment or f"roll back to version {number}",
                      rollback_of=number)  # fmt: skip
