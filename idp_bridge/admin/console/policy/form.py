"""The policy editor's form: a policy document shown as checkboxes plus a JSON text area, and read back from a POST.

The checkboxes cover the provider lists: `allow.<provider>` (the global list), and per portal `portal.<i>`
(`inherit` or `custom`) with `portal.<i>.<provider>`. Portals go by their index in the config (a portal id may be
any text up to 128 characters, longer than a form field name may be); the hidden `layout` fingerprint of the
config's providers and portals makes a form shown before a config change fail instead of editing the wrong portal.
The text area `rules` holds the rest of the document as JSON: identity_rules, per-portal identity_rules and
role_mappings. The result goes through the document's own validation (policy.document.parse); nothing here decides
what a valid policy is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from idp_bridge.config.model import Config
from idp_bridge.policy.document import PolicyDocument, PolicyInvalid, parse
from providers import bounded_json

INHERIT, CUSTOM = "inherit", "custom"
_FIXED = frozenset({"csrf_token", "layout", "base_version", "comment", "rules"})
_RULES_KEYS = ("identity_rules", "portals", "role_mappings")
MAX_COMMENT = 500
MAX_RULES_BYTES = 256 * 1024  # the form itself is smaller still; this bounds the parser on its own


@dataclass
class PortalChoice:
    mode: str = INHERIT
    providers: set[str] = field(default_factory=set)


@dataclass
class EditorState:
    """What the editor shows: the values of a document, or those a POST sent (also when they are invalid)."""

    allowed: set[str]
    portals: dict[str, PortalChoice]
    rules: str
    comment: str = ""


def layout(config: Config) -> str:
    """A fingerprint of the provider and portal ids in config order (what the form's field names refer to)."""
    text = json.dumps([list(config.providers), list(config.portals)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def state_of(document: PolicyDocument, config: Config) -> EditorState:
    portals = {}
    for cid in config.portals:
        own = document.portals.get(cid)
        chosen = own.allowed_providers if own is not None else None
        portals[cid] = PortalChoice(INHERIT, set()) if chosen is None else PortalChoice(CUSTOM, set(chosen))
    return EditorState(set(document.allowed_providers), portals, rules_text(document))


def rules_text(document: PolicyDocument) -> str:
    """The parts of the document the checkboxes do not cover, as indented JSON."""
    data = document.model_dump(mode="json", exclude_none=True)
    portals = data["portals"].items()
    portal_rules = {cid: {"identity_rules": p["identity_rules"]} for cid, p in portals if p["identity_rules"]}
    rest = {"identity_rules": data["identity_rules"], "portals": portal_rules, "role_mappings": data["role_mappings"]}
    return json.dumps(rest, indent=2, sort_keys=True)


@dataclass
class Proposal:
    """A POSTed editor form: the state to show again, and the document (None when there are `problems`)."""

    state: EditorState
    document: PolicyDocument | None
    problems: list[str]


def read_form(params: dict[str, str], config: Config, base: PolicyDocument) -> Proposal:
    """The proposed document from the editor's fields; `base` (the version the editor showed) keeps list order and
    the portals it names, so an unchanged form gives an unchanged document."""
    problems: list[str] = []
    portal_ids = list(config.portals)
    state = EditorState(set(), {cid: PortalChoice() for cid in portal_ids}, params.get("rules", ""))
    state.comment = params.get("comment", "").strip()
    if params.get("layout") != layout(config):
        problems.append("The configuration of providers and portals changed since this page was loaded: reload it.")
        return Proposal(state, None, problems)
    for name, value in params.items():
        if name in _FIXED:
            continue
        parts = name.split(".")
        if len(parts) == 2 and parts[0] == "allow":
            state.allowed.add(parts[1])
        elif parts[0] == "portal" and len(parts) in (2, 3) and (index := _index(parts[1], len(portal_ids))) is not None:
            choice = state.portals[portal_ids[index]]
            if len(parts) == 3:
                choice.providers.add(parts[2])
            elif value in (INHERIT, CUSTOM):
                choice.mode = value
            else:
                problems.append(f"{name}: must be {INHERIT!r} or {CUSTOM!r} (got {value[:40]!r})")
        else:
            problems.append(f"{name[:64]}: not a field of the policy editor")
    if len(state.comment) > MAX_COMMENT:
        problems.append(f"comment: at most {MAX_COMMENT} characters (got {len(state.comment)})")
    rules = _rules(state.rules, problems)
    if problems or rules is None:
        return Proposal(state, None, problems)
    data = _document_data(state, rules, config, base)
    try:
        return Proposal(state, parse(data, config), [])
    except PolicyInvalid as exc:
        return Proposal(state, None, exc.problems)


def _index(raw: str, count: int) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 6 and int(raw) < count else None


def _rules(text: str, problems: list[str]) -> dict[str, Any] | None:
    """The text area's JSON object (identity_rules, portals.<id>.identity_rules, role_mappings only)."""
    try:
        rules = bounded_json.loads(text, max_bytes=MAX_RULES_BYTES) if text.strip() else {}
    except bounded_json.JSONLimitError as exc:
        problems.append(f"rules: {exc.reason}")
        return None
    except ValueError as exc:
        line = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        problems.append(f"rules: not valid JSON{line}: {getattr(exc, 'msg', str(exc))}")
        return None
    if not isinstance(rules, dict):
        problems.append(f"rules: must be a JSON object with {', '.join(_RULES_KEYS)} (got {type(rules).__name__})")
        return None
    for key in rules:
        if key not in _RULES_KEYS:
            where = "the checkboxes above" if key == "allowed_providers" else f"one of {', '.join(_RULES_KEYS)}"
            problems.append(f"rules.{key[:64]}: not editable here: use {where}")
    portals = rules.get("portals", {})
    if not isinstance(portals, dict) or not all(isinstance(p, dict) for p in portals.values()):
        problems.append("rules.portals: must map portal ids to objects with identity_rules")
        return None
    for cid, portal in portals.items():
        for key in portal:
            if key != "identity_rules":
                hint = "the portal's checkboxes above" if key == "allowed_providers" else "only identity_rules"
                problems.append(f"rules.portals.{cid[:128]}.{key[:64]}: not editable here: use {hint}")
    return None if problems else rules


def _document_data(state: EditorState, rules: dict[str, Any], config: Config, base: PolicyDocument) -> dict[str, Any]:
    order = list(base.allowed_providers) + list(config.providers)
    portal_rules: dict[str, Any] = rules.get("portals", {})
    portals: dict[str, Any] = {}
    for cid, choice in state.portals.items():
        own = base.portals.get(cid)
        entry: dict[str, Any] = {"allowed_providers": None}
        if choice.mode == CUSTOM:
            preferred = list(own.allowed_providers or ()) if own is not None else []
            entry["allowed_providers"] = _ordered(choice.providers, preferred + order)
        if cid in portal_rules:
            entry["identity_rules"] = portal_rules[cid].get("identity_rules", {})
        if own is not None or entry["allowed_providers"] is not None or entry.get("identity_rules"):
            portals[cid] = entry  # (a portal the base leaves out stays out while it only inherits)
    for cid, portal in portal_rules.items():
        if cid not in portals and cid not in state.portals:
            portals[cid] = portal  # an unknown portal: validation names it
    return {
        "allowed_providers": _ordered(state.allowed, order),
        "identity_rules": rules.get("identity_rules", {}),
        "portals": portals,
        "role_mappings": rules.get("role_mappings", []),
    }


def _ordered(chosen: set[str], preferred: list[str]) -> list[str]:
    """`chosen` in the order of `preferred` (the base version's list, then the config's), unknown ids last."""
    first = list(dict.fromkeys(p for p in preferred if p in chosen))
    return first + sorted(chosen - set(first))


def hidden_document(document: PolicyDocument) -> str:
    """The document for the confirmation form's hidden field: one line (only text areas may hold line breaks)."""
    return json.dumps(document.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
