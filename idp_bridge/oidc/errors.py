"""OAuth/OIDC protocol errors, each carrying the RFC 6749 `error` code it maps to.

Exception tree::

    OAuthError                  error code + description, answered as JSON (token, userinfo) or by redirect
    └── (no subclasses: the `error` attribute is the distinction, as in RFC 6749 §5.2)

    PageError                   a problem shown to a person as an HTML page (never redirected), with a status
"""

from __future__ import annotations

from collections.abc import Mapping


class OAuthError(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.headers = dict(headers or {})


class PageError(Exception):
    """Shown as an error page. `title` and `message` are safe to display; `audit_code` names it for the log."""

    def __init__(self, status: int, title: str, message: str, audit_code: str) -> None:
        super().__init__(f"{audit_code}: {message}")
        self.status = status
        self.title = title
        self.message = message
        self.audit_code = audit_code
