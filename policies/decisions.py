"""The decisions policies return: Allow, Deny(reason) or StepUp(methods); never HTTP responses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Allow:
    """Go ahead."""


@dataclass(frozen=True)
class Deny:
    """Refuse. `code` is a stable machine-readable reason (for audit), `reason` is shown to the user."""

    code: str
    reason: str


@dataclass(frozen=True)
class StepUp:
    """Allowed once one of `methods` has been completed locally."""

    methods: tuple[str, ...]


Decision = Allow | Deny | StepUp
