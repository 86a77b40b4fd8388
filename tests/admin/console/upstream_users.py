"""Extra people on the real upstream (oidc-provider-mock's PUT /users/{sub}): e.g. a second console user whose
upstream MFA is trusted, so they reach the console without the bridge's own second factor (like `bob`)."""

from __future__ import annotations

import httpx2


def add_upstream_user(upstream: str, sub: str, *, mfa: bool = True, groups: tuple[str, ...] = ()) -> str:
    """Create (or replace) `sub` on the upstream at `upstream`, email `<sub>@example.com`, in `groups` (the mock
    puts them in the id_token, where the generic OIDC provider reads them); returns the email."""
    email = f"{sub}@example.com"
    claims: dict[str, object] = {"email": email, "email_verified": True, "name": sub.title(),
                                 "preferred_username": sub, "amr": ["pwd", "mfa"] if mfa else ["pwd"]}  # fmt: skip
    if groups:
        claims["groups"] = list(groups)
    response = httpx2.put(f"{upstream}/users/{sub}", json=claims, timeout=10.0)
    assert response.status_code == 204, response.text
    return email
