"""GET /.well-known/openid-configuration and /jwks: what portals discover matches what the bridge does."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.testclient import TestClient

from idp_bridge.bridge import Bridge
from tests.bridge_harness import BRIDGE_ISSUER

PRIVATE_PARTS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


def test_discovery_document(bridge_client: TestClient) -> None:
    response = bridge_client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    doc = response.json()
    assert doc["issuer"] == BRIDGE_ISSUER
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
    ]:
        assert doc[name] == BRIDGE_ISSUER + path
        # Every advertised endpoint exists on the bridge (a 404 page would mean discovery lies).
        assert bridge_client.get(path, follow_redirects=False).status_code != 404
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["response_types_supported"] == ["code"]
    assert doc["response_modes_supported"] == ["query"]
    assert doc["grant_types_supported"] == ["authorization_code"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post", "none"}
    assert "openid" in doc["scopes_supported"]
    assert doc["request_parameter_supported"] is False and doc["request_uri_parameter_supported"] is False
    assert doc["claims_parameter_supported"] is False


def test_jwks_publishes_the_signing_key_without_private_parts(bridge_client: TestClient, bridge: Bridge) -> None:
    response = bridge_client.get("/jwks")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys, "no keys published"
    for key in keys:
        assert key.get("kid"), key
        assert key["kty"] == "RSA" and key["use"] == "sig" and key["alg"] == "RS256"
        assert not set(PRIVATE_PARTS) & set(key), sorted(key)
    assert bridge.keys.key_id in {key["kid"] for key in keys}
    assert not any(part in response.text for part in ('"d"', '"p"', '"q"'))


def test_jwks_verifies_what_the_bridge_signs(bridge_client: TestClient, bridge: Bridge) -> None:
    token = bridge.keys.sign({"iss": BRIDGE_ISSUER, "sub": "x"})
    published = KeySet.import_key_set(bridge_client.get("/jwks").json())
    decoded = jwt.decode(token, published, algorithms=["RS256"])
    assert decoded.header["kid"] == bridge.keys.key_id and decoded.claims["sub"] == "x"


def test_metadata_is_cacheable_and_read_only(bridge_client: TestClient) -> None:
    for path in ("/.well-known/openid-configuration", "/jwks"):
        assert bridge_client.get(path).headers["cache-control"] == "public, max-age=300"
        refused = bridge_client.post(path, data={"x": "1"})
        assert refused.status_code == 405 and refused.headers["content-type"].startswith("text/html")
