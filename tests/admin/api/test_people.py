"""The admin API's technician, session, audit, token and emergency-access endpoints, and who may call them."""

from __future__ import annotations

import json

from idp_bridge.config.model import Config
from tests.admin.api.api_harness import admin_bridge, error_of
from tests.store_peek import audit_types


def test_technician_mfa_changes_sign_them_out_everywhere(config: Config) -> None:
    with admin_bridge(config) as b:
        token = b.token("technicians:write", "sessions:read")
        assert b.login("alice@example.com").final_url is not None
        assert b.login("bob@example.com").final_url is not None
        alice = b.user_id("alice@example.com")
        found = b.api("GET", "/technicians", token, q="ALICE").json()["technicians"]
        assert [t["id"] for t in found] == [alice]
        assert found[0]["effective_role"] == "technician" and found[0]["mfa"]["authenticator"] is False

        for change in ({"mfa_method": "email"}, {"enforced": True}):  # enforced last: she then needs MFA to sign in
            if not b.live_sessions(alice):
                assert b.login("alice@example.com").final_url is not None
            updated = b.api("PATCH", f"/technicians/{alice}", token, json=change)
            assert updated.status_code == 200, updated.text
            assert b.live_sessions(alice) == [], change
        shown = b.api("GET", f"/technicians/{alice}", token).json()
        assert shown["mfa"]["enforced"] is True and shown["mfa"]["method"] == "email"

        bob = b.user_id("bob@example.com")
        assert b.live_sessions(bob)
        assert b.api("POST", f"/technicians/{bob}/reset-mfa", token).status_code == 200
        assert b.live_sessions(bob) == []
        codes = b.api("POST", f"/technicians/{bob}/recovery-codes", token).json()["recovery_codes"]
        assert len(codes) >= 8 and len(set(codes)) == len(codes)
        assert b.api("GET", f"/technicians/{bob}", token).json()["mfa"]["recovery_codes_left"] == len(codes)

        limits = b.api("PATCH", f"/technicians/{bob}", token, json={"idle_timeout_seconds": 900, "session_limit": 2})
        assert limits.json()["idle_timeout_seconds"] == 900 and limits.json()["session_limit"] == 2
        bad = b.api("PATCH", f"/technicians/{bob}", token, json={"idle_timeout_seconds": 5})
        assert error_of(bad, 422) == "invalid_request" and "idle_timeout_seconds" in bad.json()["message"]

        assert b.login("carol@example.com").final_url is not None
        assert b.login("bob@example.com").final_url is not None
        disabled = b.api("PATCH", f"/technicians/{bob}", token, json={"disabled": True})
        assert disabled.json()["disabled"] is True and b.live_sessions(bob) == []
        refused = b.login("bob@example.com")
        assert refused.page is not None and refused.page.status_code == 403
        assert error_of(b.api("GET", "/technicians/nobody", token), 404) == "not_found"
        assert b.live_sessions(b.user_id("carol@example.com"))  # nobody else was signed out
        assert ("admin.technician.mfa_reset", "success") in audit_types(b.db)


def test_list_and_end_sessions(config: Config) -> None:
    with admin_bridge(config) as b:
        token = b.token("sessions:write")
        assert b.login("carol@example.com").final_url is not None
        listed = b.api("GET", "/sessions", token).json()["sessions"]
        assert len(listed) == 1
        s = listed[0]
        assert s["email"] == "carol@example.com" and s["provider_id"] == "acme" and s["amr"] == [] and s["acr"]
        assert s["user_agent"] and s["ip"] and s["started_at"] <= s["last_active_at"]
        assert b.api("DELETE", f"/sessions/{s['id']}", token).json() == {"ended": True, "session_id": s["id"]}
        assert b.api("GET", "/sessions", token).json()["sessions"] == []
        assert error_of(b.api("DELETE", f"/sessions/{s['id']}", token), 404) == "not_found"
        assert ("session.forced_logout", "success") in audit_types(b.db)


def test_audit_query_and_json_lines_export(config: Config) -> None:
    with admin_bridge(config) as b:
        token = b.token("audit:read")
        assert b.login("dave@example.com").final_url is not None
        dave = b.user_id("dave@example.com")
        events = b.api("GET", "/audit", token, user_id=dave).json()["events"]
        assert events and all(e["user_id"] == dave for e in events)
        issued = b.api("GET", "/audit", token, type="code.issued", since=b.clock.now() - 5).json()["events"]
        assert [e["type"] for e in issued] == ["code.issued"]
        assert b.api("GET", "/audit", token, until=b.clock.now() - 3600).json()["events"] == []
        export = b.api("GET", "/audit/export", token)
        assert export.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in export.text.splitlines()]
        assert lines and lines[0]["at"] <= lines[-1]["at"] and {"type", "outcome", "detail"} <= set(lines[0])
        assert error_of(b.api("GET", "/audit", token, since="yesterday"), 400) == "invalid_parameter"
        assert error_of(b.api("GET", "/audit", token, limit=0), 400) == "invalid_parameter"
        # Append-only: the API offers no way to change or delete events.
        for method in ("PUT", "PATCH", "DELETE", "POST"):
            assert b.api(method, "/audit", token).status_code == 405


def test_authorization_tokens_cannot_exceed_their_scope(config: Config) -> None:
    with admin_bridge(config) as b:
        reader = b.token("policy:read", "technicians:write")
        assert error_of(b.api("GET", "/policy", None), 401) == "unauthorized"
        assert error_of(b.api("GET", "/policy", "ibt_0123_guess"), 401) == "invalid_token"
        assert error_of(b.api("GET", "/policy", reader + "x"), 401) == "invalid_token"
        assert b.api("GET", "/policy", reader).status_code == 200
        put = b.api("PUT", "/policy", reader, json={"policy": {"allowed_providers": ["globex"]}, "comment": "c"})
        assert error_of(put, 403) == "scope_missing"
        assert error_of(b.api("GET", "/audit", reader), 403) == "scope_missing"
        assert error_of(b.api("POST", "/tokens", reader, json={"name": "x", "scopes": ["audit:read"],
                                                              "expires_in_seconds": 600}), 403) == "scope_missing"
        # An Admin is a Super Admin action: technicians:write alone cannot touch one.
        assert b.login("erin@example.com").final_url is not None
        erin = b.user_id("erin@example.com")
        root = b.token()
        assert b.api("PATCH", f"/technicians/{erin}", root, json={"role": "admin"}).status_code == 200
        assert error_of(b.api("POST", f"/technicians/{erin}/reset-mfa", reader), 403) == "scope_missing"
        assert error_of(b.api("PATCH", f"/technicians/{erin}", reader, json={"role": "super_admin"}), 403) == (
            "scope_missing"
        )
        assert b.api("GET", f"/technicians/{erin}", root).json()["role"] == "admin"
        # Expiry and revocation, on the injected clock.
        short = b.token("policy:read", lifetime=60)
        b.clock.advance(61)
        assert error_of(b.api("GET", "/policy", short), 401) == "invalid_token"
        new = {"name": "ci", "scopes": ["audit:read"], "expires_in_seconds": 600}
        created = b.api("POST", "/tokens", root, json=new)
        assert created.status_code == 201 and created.json()["token"].startswith("ibt_")
        assert b.api("GET", "/audit", created.json()["token"]).status_code == 200
        unknown = b.api("POST", "/tokens", root, json={"name": "ci", "scopes": ["root"], "expires_in_seconds": 600})
        assert error_of(unknown, 422) == "invalid_request" and "root" in unknown.json()["message"]
        assert b.api("DELETE", f"/tokens/{created.json()['id']}", root).status_code == 200
        assert error_of(b.api("GET", "/audit", created.json()["token"]), 401) == "invalid_token"
        listed = b.api("GET", "/tokens", root).text
        assert created.json()["token"] not in listed and "token_hash" not in listed
        assert ("admin.rejected", "denied") in audit_types(b.db)


def test_emergency_access_warning(config: Config) -> None:
    with admin_bridge(config) as b:
        token = b.token("technicians:read")
        status = b.api("GET", "/emergency-access", token).json()
        assert status["ok"] is False and status["enrolled"] == 0
        assert "fewer" not in status["warning"] and "at least 2" in status["warning"]


def test_openapi_document_is_served(config: Config) -> None:
    with admin_bridge(config) as b:
        doc = b.client.get("/admin/api/openapi.json").json()
        assert doc["openapi"] == "3.1.0"
        assert {"/policy", "/policy/dry-run", "/policy/rollback", "/technicians/{user_id}", "/sessions/{session_id}",
                "/audit/export", "/tokens"} <= set(doc["paths"])  # fmt: skip
        assert "PolicyDocument" in doc["components"]["schemas"]
