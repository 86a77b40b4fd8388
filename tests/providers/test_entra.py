"""providers.entra through msal against a local Entra mimic over loopback TLS: the production module, unchanged."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from joserfc.jwk import RSAKey

from idp_bridge.clock import FrozenClock
from providers.base import (
    AccountNotAllowed,
    CallbackInvalid,
    Identity,
    LoginOptions,
    TokenRejected,
    UpstreamDenied,
    UpstreamUnavailable,
)
from providers.entra import EntraProvider, EntraSettings, acrs_claims_request
from tests.providers.mimic_base import DELETE
from tests.providers.mimic_entra import (
    NESTED_ERROR_TENANT,
    OID_ALICE,
    OID_MALLORY,
    TENANT_A,
    TENANT_B,
    TENANT_EVIL,
    MimicEntra,
)
from tests.providers.tls_server import serve_tls

NOW = 1_700_000_000.0
# providers/entra.py silences this msal warning at import (query mode is deliberate); pytest re-enables warnings.
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended:UserWarning")
CALLBACK = "https://bridge.test/callback/entra"


@pytest.fixture(scope="module")
def mimic_server(tls_files: tuple[Path, Path]) -> Iterator[MimicEntra]:
    mimic = MimicEntra(FrozenClock(NOW))
    with serve_tls(mimic.app(), *tls_files) as base:
        mimic.base = base
        yield mimic


@pytest.fixture
def mimic(mimic_server: MimicEntra) -> MimicEntra:
    """The module's mimic, reset to its defaults for each test."""
    mimic_server.patch.clear()
    mimic_server.published = None
    mimic_server.satisfied_acrs = set()
    mimic_server.app_tenant = "organizations"
    mimic_server.signing_key = mimic_server.key
    mimic_server.client_certificate_key = None
    return mimic_server


@pytest.fixture
async def http(trust_mimic: ssl.SSLContext) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(verify=trust_mimic) as client:
        yield client


def settings(mimic: MimicEntra, **overrides: Any) -> EntraSettings:
    values: dict[str, Any] = {
        "client_id": mimic.client_id,
        "client_secret": mimic.client_secret,
        "display_name": "Contoso (Entra ID)",
        "tenant": "organizations",
        "allowed_tenants": (TENANT_A, TENANT_B),
        "authority_host": mimic.base,
    }
    return EntraSettings(**(values | overrides))


def provider_for(mimic: MimicEntra, http: httpx2.AsyncClient, **overrides: Any) -> EntraProvider:
    mimic.app_tenant = overrides.get("tenant", "organizations")
    return EntraProvider("entra", settings(mimic, **overrides), http=http, clock=FrozenClock(NOW))


async def login(
    provider: EntraProvider, mimic: MimicEntra, user: dict[str, Any] | None = None, options: LoginOptions | None = None
) -> Identity:
    start = await provider.start_login(CALLBACK, options or LoginOptions())
    params = mimic.authorize(start.url, user)
    return await provider.finish_login(params, start.flow_state, CALLBACK)


async def test_multi_tenant_login_keys_the_user_on_tenant_and_oid(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    identity = await login(provider_for(mimic, http), mimic, {"groups": ["g1", "g2"], "roles": ["Technician"]})
    assert identity.kind == "entra"
    assert identity.issuer == f"{mimic.base}/{TENANT_A}/v2.0"
    assert identity.subject == OID_ALICE and identity.tenant == TENANT_A
    assert identity.groups == ("g1", "g2") and identity.roles == ("Technician",)
    assert identity.groups_overage is False
    assert identity.email == "alice@contoso.example" and identity.email_verified is False
    assert identity.amr == () and identity.acr is None and identity.acrs == ()


async def test_the_authorization_request_is_what_msal_sends(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    provider = provider_for(mimic, http, request_acrs=("c1",))
    start = await provider.start_login(CALLBACK, LoginOptions(login_hint="alice@contoso.example", prompt="login"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.url).query).items()}
    assert urlsplit(start.url).path == "/organizations/oauth2/v2.0/authorize"
    assert query["state"] == start.state
    assert set(query["scope"].split()) == {"email", "openid", "profile", "offline_access"}
    assert query["code_challenge_method"] == "S256" and query["redirect_uri"] == CALLBACK
    assert json.loads(query["claims"]) == {"id_token": {"acrs": {"essential": True, "value": "c1"}}}
    assert query["prompt"] == "login" and query["login_hint"] == "alice@contoso.example"
    assert query.get("response_mode", "query") == "query"  # never form_post: see providers/entra.py
    assert "client_secret" not in start.url and "code_verifier" not in json.dumps(query)
    json.dumps(dict(start.flow_state))  # must be storable as JSON


def test_claims_request_for_several_contexts() -> None:
    assert acrs_claims_request(()) is None
    assert json.loads(acrs_claims_request(("c1", "c2")) or "") == {
        "id_token": {"acrs": {"essential": True, "values": ["c1", "c2"]}}
    }


async def test_a_satisfied_auth_context_is_reported(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    mimic.satisfied_acrs = {"c1"}
    identity = await login(provider_for(mimic, http, request_acrs=("c1",)), mimic)
    assert identity.acrs == ("c1",) and identity.requested_acrs == ("c1",)


async def test_an_unsatisfied_auth_context_is_not_reported(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    identity = await login(provider_for(mimic, http, request_acrs=("c1",)), mimic)
    assert identity.acrs == () and identity.requested_acrs == ("c1",)


async def test_v1_token_amr_is_normalised(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    user = {"ver": "1.0", "amr": ["pwd", "rsa", "ngcmfa", "wiaormfa", "fed"], "acr": "1"}
    identity = await login(provider_for(mimic, http), mimic, user)
    assert identity.amr == ("pwd", "mfa")  # ngcmfa means mfa; rsa, wiaormfa and fed are dropped
    assert identity.acr == "1"
    assert identity.issuer == f"{mimic.base}/{TENANT_A}/v2.0"  # one user key whichever token version


async def test_v1_token_amr_without_mfa(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    identity = await login(provider_for(mimic, http), mimic, {"ver": "1.0", "amr": ["pwd", "wiaormfa"]})
    assert identity.amr == ("pwd",)


async def test_single_tenant_app(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    provider = provider_for(mimic, http, tenant=TENANT_A, allowed_tenants=(TENANT_A,))
    identity = await login(provider, mimic)
    assert identity.tenant == TENANT_A


async def test_certificate_credential(
    mimic: MimicEntra, http: httpx2.AsyncClient, client_cert: tuple[str, str]
) -> None:
    key_pem, cert_pem = client_cert
    mimic.client_certificate_key = RSAKey.import_key(key_pem)
    provider = provider_for(
        mimic, http, client_secret=None, certificate_private_key=key_pem, public_certificate=cert_pem
    )
    identity = await login(provider, mimic)
    assert identity.subject == OID_ALICE
    assert "client_secret" not in mimic.token_forms[-1] and "client_assertion" in mimic.token_forms[-1]


# -- bad input ------------------------------------------------------------------------------------------------


async def test_tenant_not_allowed(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    with pytest.raises(AccountNotAllowed, match=f"tenant {TENANT_EVIL} may not sign in"):
        await login(provider_for(mimic, http), mimic, {"tid": TENANT_EVIL, "oid": OID_MALLORY})


async def test_multi_tenant_token_whose_iss_is_not_its_tid(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    mimic.patch["iss"] = f"{mimic.base}/{TENANT_B}/v2.0"  # allowed tenant's issuer, but tid says TENANT_A
    with pytest.raises(TokenRejected, match="issuer"):
        await login(provider_for(mimic, http), mimic)


@pytest.mark.parametrize("tid", ["not-a-guid", "{tenantid}", DELETE, 42])
async def test_tid_must_be_a_guid(mimic: MimicEntra, http: httpx2.AsyncClient, tid: object) -> None:
    mimic.patch["tid"] = tid
    mimic.patch["iss"] = f"{mimic.base}/{tid}/v2.0"
    with pytest.raises(TokenRejected, match="tid"):
        await login(provider_for(mimic, http), mimic)


async def test_single_tenant_app_refuses_another_tenant(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    provider = provider_for(mimic, http, tenant=TENANT_A, allowed_tenants=(TENANT_A,))
    with pytest.raises(TokenRejected, match="single-tenant"):
        await login(provider, mimic, {"tid": TENANT_B})


async def test_same_email_in_another_tenant_is_another_user(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    """nOAuth: Mallory sets Alice's address as her email in a tenant she controls; she must not become Alice."""
    provider = provider_for(mimic, http)
    alice = await login(provider, mimic)
    mallory = await login(provider, mimic, {"tid": TENANT_B, "oid": OID_MALLORY, "email": alice.email})
    assert alice.email == mallory.email
    assert (alice.issuer, alice.subject) != (mallory.issuer, mallory.subject)
    assert mallory.issuer.endswith(f"/{TENANT_B}/v2.0") and mallory.subject == OID_MALLORY


async def test_missing_oid_is_refused(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    mimic.patch["oid"] = DELETE
    with pytest.raises(TokenRejected, match="oid"):
        await login(provider_for(mimic, http), mimic)


@pytest.mark.parametrize(
    ("overage", "label"),
    [({"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph"}}}, "jwt"),
     ({"hasgroups": True}, "implicit")],
)  # fmt: skip
async def test_group_overage_is_flagged_never_read_as_no_groups(
    mimic: MimicEntra, http: httpx2.AsyncClient, overage: dict[str, Any], label: str
) -> None:
    identity = await login(provider_for(mimic, http), mimic, {"groups": ["partial"], **overage})
    assert identity.groups_overage is True and identity.groups == ()


async def test_signature_by_another_key(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    mimic.signing_key = RSAKey.generate_key(2048, parameters={"kid": mimic.key.kid})
    with pytest.raises(TokenRejected, match="signature"):
        await login(provider_for(mimic, http), mimic)


async def test_key_restricted_to_another_issuer(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    mimic.published = [mimic.key.as_dict(private=False) | {"issuer": f"{mimic.base}/{TENANT_B}/v2.0"}]
    with pytest.raises(TokenRejected, match="may only sign for"):
        await login(provider_for(mimic, http), mimic)


@pytest.mark.parametrize(
    ("claim", "value", "word"),
    [("aud", "someone-else", "audience"), ("exp", int(NOW) - 3600, "expired"), ("nonce", "other", "nonce")],
)
async def test_bad_claims(mimic: MimicEntra, http: httpx2.AsyncClient, claim: str, value: Any, word: str) -> None:
    mimic.patch[claim] = value
    with pytest.raises(TokenRejected, match=word):
        await login(provider_for(mimic, http), mimic)


async def test_user_denied_at_entra(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    with pytest.raises(UpstreamDenied, match="AADSTS50105"):
        await login(provider_for(mimic, http), mimic, {"_deny": True})


async def test_wrong_client_secret(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    with pytest.raises(TokenRejected, match="invalid_client"):
        await login(provider_for(mimic, http, client_secret="wrong"), mimic)


async def test_replayed_state_and_foreign_callback(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    provider = provider_for(mimic, http)
    start = await provider.start_login(CALLBACK, LoginOptions())
    params = mimic.authorize(start.url)
    with pytest.raises(CallbackInvalid, match="state"):
        await provider.finish_login({**params, "state": "forged"}, start.flow_state, CALLBACK)
    with pytest.raises(CallbackInvalid, match="redirect_uri"):
        await provider.finish_login(params, start.flow_state, "https://bridge.test/callback/other")


async def test_unknown_tenant_is_unavailable_with_entras_reason(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    provider = provider_for(mimic, http, tenant="cccccccc-0000-4000-8000-00000000000c", allowed_tenants=())
    with pytest.raises(UpstreamUnavailable, match="AADSTS90002"):
        await provider.start_login(CALLBACK, LoginOptions())
    assert any("AADSTS90002" in p for p in await provider.check_online())


async def test_check_online_is_clean_for_a_good_tenant(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    assert await provider_for(mimic, http).check_online() == []


async def test_extra_untrusted_audience_is_rejected_even_with_azp(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    """OIDC Core §3.1.3.7 (3): an id_token that also names an audience the bridge does not trust is refused."""
    mimic.patch.update({"aud": [mimic.client_id, "other"], "azp": mimic.client_id})
    with pytest.raises(TokenRejected, match="audience 'other' is not trusted"):
        await login(provider_for(mimic, http), mimic)


async def test_a_deeply_nested_discovery_error_is_unavailable_not_a_crash(
    mimic: MimicEntra, http: httpx2.AsyncClient
) -> None:
    provider = provider_for(mimic, http, tenant=NESTED_ERROR_TENANT, allowed_tenants=())
    with pytest.raises(UpstreamUnavailable, match="answered HTTP 400"):
        await provider.start_login(CALLBACK, LoginOptions())
    assert any("answered HTTP 400" in p for p in await provider.check_online())


async def test_a_hostile_name_is_capped_and_cleaned(mimic: MimicEntra, http: httpx2.AsyncClient) -> None:
    mimic.patch["name"] = "Eve\r\n\u202e" + "e" * 10_000
    identity = await login(provider_for(mimic, http), mimic)
    assert identity.name == "Eve " + "e" * 252 and identity.cut_claims == ("name",)
