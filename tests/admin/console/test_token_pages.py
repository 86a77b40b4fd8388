"""API tokens in the console (idp_bridge/admin/console/token_pages.py): create (shown once), revoke; Super Admins
only."""

from __future__ import annotations

import re

from tests.admin.console.console_harness import Console
from tests.bridge_harness import error_page_text

_SECRET = re.compile(r'<pre id="new-token-secret">(ibt_[^<]+)</pre>')


def _tokens(console: Console) -> list[object]:
    return list(console.bridge.call(console.bridge.store.list_api_tokens))


def test_create_use_and_revoke_a_token(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "super_admin")
    page = bob.post("/admin/tokens", {"name": "ci", "scope.sessions:read": "on", "expires": "30d"})
    assert page.status_code == 200
    found = _SECRET.search(page.text)
    assert found, page.text[-800:]
    secret = found.group(1)
    (record,) = _tokens(admin_console)
    assert record.scopes == ("sessions:read",) and record.created_by == f"user:{bob.user_id}"  # type: ignore[attr-defined]
    assert record.expires_at - admin_console.clock.now() == 30 * 86400  # type: ignore[attr-defined]
    assert secret not in bob.get("/admin/tokens").text and record.token_hash not in page.text  # type: ignore[attr-defined]
    api = admin_console.bridge.api
    assert api("GET", "/sessions", secret).status_code == 200
    assert api("GET", "/audit", secret).status_code == 403  # only the scopes it was given
    revoked = bob.post(f"/admin/tokens/{record.id}/revoke", {})  # type: ignore[attr-defined]
    assert revoked.headers["location"] == "/admin/tokens?done=token_revoked"
    assert api("GET", "/sessions", secret).status_code == 401


def test_bad_token_requests_create_nothing(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "super_admin")
    cases = [
        ({"name": "x", "expires": "30d"}, "scopes"),
        ({"name": "x", "scope.audit:read": "on", "expires": "soon"}, "expires"),
        ({"name": "x", "scope.audit:read": "on", "expires": "400d"}, "expires"),
        ({"name": " ", "scope.audit:read": "on", "expires": "1d"}, "name"),
    ]
    for form, field in cases:
        response = bob.post("/admin/tokens", form)
        assert response.status_code == 422, form
        assert error_page_text(response)[1].startswith(f"{field}:"), error_page_text(response)
    assert _tokens(admin_console) == []
    unknown = bob.post("/admin/tokens/nope/revoke", {})
    assert unknown.status_code == 404


def test_only_super_admins_manage_tokens_and_only_with_a_recent_second_factor(admin_console: Console) -> None:
    bob = admin_console.sign_in("bob", "admin")
    assert bob.get("/admin/tokens").status_code == 403
    assert "/admin/tokens" not in bob.get("/admin").text  # no link to what the role cannot use
    refused = bob.post("/admin/tokens", {"name": "x", "scope.audit:read": "on", "expires": "1d"})
    assert refused.status_code == 403
    admin_console.set_role(bob.user_id, "super_admin")
    admin_console.clock.advance(601)
    stale = bob.post("/admin/tokens", {"name": "x", "scope.audit:read": "on", "expires": "1d"})
    assert stale.status_code == 403 and "/admin/step-up?next=/admin/tokens" in stale.text
    assert _tokens(admin_console) == []
