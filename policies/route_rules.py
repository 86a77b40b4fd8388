"""Forward-auth route requirements: which rule covers a request, and whether the session meets it (pure)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from policies.decisions import Allow, Deny, StepUp

MFA_METHODS = ("mfa",)

HOST_NOT_PROTECTED = Deny("host_not_protected", "This host is not protected by the sign-in service.")
AMBIGUOUS_PATH = Deny(
    "ambiguous_path",
    "The path contains an encoded '/', '\\' or '.' (%2F, %5C, %2E), which applications read differently; "
    "write it unencoded.",
)


@dataclass(frozen=True)
class RouteRule:
    """A path prefix (on one host, or any protected host when `host` is None) that needs MFA done at most
    `mfa_max_age_seconds` ago; at one of the `accepted_acr` levels when set (`acr`: the level a step-up asks for)."""

    path_prefix: str
    mfa_max_age_seconds: int
    host: str | None = None
    acr: str | None = None
    accepted_acr: frozenset[str] | None = None


@dataclass(frozen=True)
class SessionEvidence:
    """What the session proves: its `amr`, when that authentication happened, and its `acr` level."""

    amr: tuple[str, ...]
    auth_time: float
    acr: str | None = None


class AmbiguousPath(ValueError):
    """A path backends may read differently from the bridge (an encoded `/`, `\\` or `.`): refused, never guessed."""


# Encoded separators and dots: one backend decodes them before splitting segments, another after, so no single
# reading is safe. Compiled once (this runs on the forward-auth hot path).
_ENCODED_SEPARATOR_OR_DOT = re.compile(r"%(?:2f|5c|2e)", re.IGNORECASE)
_PARAMETERS = re.compile(r";[^/]*")  # `;jsessionid=...` path parameters, dropped by Tomcat, Jetty and Spring
# Anything the full normalisation could change besides case; most paths have none and take the short way.
_NEEDS_NORMALISING = re.compile(r"[%;\\]|//|/\.")


def normalise_path(raw: str) -> str:
    """The path a rule is matched against: query dropped, percent-decoded, `;` parameters stripped from every
    segment, `\\` read as `/`, dot segments and repeated slashes resolved, lower-cased (IIS, Windows and many
    frameworks ignore case). So `/public/../admin`, `/%61dmin`, `/admin;x`, `/..;/admin` and `/ADMIN` are all
    `/admin`. Raises AmbiguousPath for an encoded `/`, `\\` or `.` at any level of encoding (`%2f`, `%252e`)."""
    path = raw.split("?", 1)[0].split("#", 1)[0]
    if path.startswith("/") and not _NEEDS_NORMALISING.search(path):
        return path.lower()
    # Decode until stable, checking each level: a double-encoded `%252e` is an encoded dot to a backend that
    # decodes twice.
    for _ in range(3):
        if _ENCODED_SEPARATOR_OR_DOT.search(path):
            raise AmbiguousPath(raw)
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    else:
        raise AmbiguousPath(raw)  # still encoded after three rounds: no backend reading is predictable
    path = "/" + _PARAMETERS.sub("", path.replace("\\", "/")).lstrip("/")
    normal = "/" + posixpath.normpath(path).lstrip("/")
    normal = normal.lower()
    return normal + "/" if path.endswith("/") and normal != "/" else normal


def _prefix_matches(prefix: str, path: str) -> bool:
    prefix = prefix.rstrip("/").lower()
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def matching_rule(rules: Sequence[RouteRule], host: str, raw_path: str) -> RouteRule | None:
    """The rule with the longest matching prefix (host-specific rules before any-host rules of equal length).
    Raises AmbiguousPath (see normalise_path) when a rule covers the host; a host without rules is not refused
    for its paths (an app such as GitLab legitimately puts `%2F` in paths, and no rule can be bypassed there)."""
    host = host.lower()
    candidates = [rule for rule in rules if rule.host is None or rule.host.lower() == host]
    if not candidates:
        return None
    path = normalise_path(raw_path)
    best: RouteRule | None = None
    for rule in candidates:
        if not _prefix_matches(rule.path_prefix, path):
            continue
        if best is None or (len(rule.path_prefix.rstrip("/")), rule.host is not None) > (
            len(best.path_prefix.rstrip("/")),
            best.host is not None,
        ):
            best = rule
    return best


def decide_access(
    protected_hosts: Sequence[str], rules: Sequence[RouteRule], host: str, raw_path: str,
    evidence: SessionEvidence, now: float,
) -> Allow | Deny | StepUp:  # fmt: skip
    """Allow, StepUp (MFA missing or too old for the route), or Deny for a host that is not protected or a path
    that backends may read differently (AMBIGUOUS_PATH)."""
    if host.lower() not in {h.lower() for h in protected_hosts}:
        return HOST_NOT_PROTECTED
    try:
        rule = matching_rule(rules, host, raw_path)
    except AmbiguousPath:
        return AMBIGUOUS_PATH
    if rule is None or meets(rule, evidence, now):
        return Allow()
    return StepUp(MFA_METHODS)


def meets(rule: RouteRule, evidence: SessionEvidence, now: float) -> bool:
    """Whether the session's authentication included MFA, at a level the rule accepts, at most the rule's age."""
    level_ok = rule.accepted_acr is None or evidence.acr in rule.accepted_acr
    fresh = now - evidence.auth_time <= rule.mfa_max_age_seconds
    return any(m in evidence.amr for m in MFA_METHODS) and level_ok and fresh


def step_up_max_age(rules: Sequence[RouteRule], host: str, raw_path: str) -> int | None:
    """The max_age a step-up login for this request must satisfy (None when no rule covers it)."""
    rule = matching_rule(rules, host, raw_path)
    return rule.mfa_max_age_seconds if rule is not None else None
