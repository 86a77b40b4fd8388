"""Forward-auth route requirements: which rule covers a request, and whether the session meets it (pure)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from policies.decisions import Allow, Deny, StepUp

MFA_METHODS = ("mfa",)

HOST_NOT_PROTECTED = Deny("host_not_protected", "This host is not protected by the sign-in service.")


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


def normalise_path(raw: str) -> str:
    """The path a backend will serve for `raw` (query dropped, percent-decoded, dot segments and repeated
    slashes resolved), so that `/public/../admin` or `/%61dmin` cannot slip past an `/admin` rule."""
    path = raw.split("?", 1)[0].split("#", 1)[0]
    # Decode until stable: a double-encoded `%252e` must not survive as a dot segment a backend decodes again.
    for _ in range(3):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    path = "/" + path.replace("\\", "/").lstrip("/")
    normal = posixpath.normpath(path)
    normal = "/" + normal.lstrip("/")
    return normal + "/" if path.endswith("/") and normal != "/" else normal


def _prefix_matches(prefix: str, path: str) -> bool:
    prefix = prefix.rstrip("/")
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def matching_rule(rules: Sequence[RouteRule], host: str, raw_path: str) -> RouteRule | None:
    """The rule with the longest matching prefix (host-specific rules before any-host rules of equal length)."""
    path = normalise_path(raw_path)
    host = host.lower()
    best: RouteRule | None = None
    for rule in rules:
        if rule.host is not None and rule.host.lower() != host:
            continue
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
    """Allow, StepUp (MFA missing or too old for the route), or Deny for a host that is not protected."""
    if host.lower() not in {h.lower() for h in protected_hosts}:
        return HOST_NOT_PROTECTED
    rule = matching_rule(rules, host, raw_path)
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
