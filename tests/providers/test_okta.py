"""providers.okta against a local Okta mimic (org and custom authorization servers) over loopback TLS."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest

from idp_bridge.clock import FrozenClock
from providers.base import Identity, LoginOptions, OIDCSettings, TokenRejected, UpstreamDenied, UpstreamUnavailable
from providers.okta import OktaProvider
from tests.providers.mimic_okta import SUB_ALICE, MimicOkta
from tests.providers.tls_server import serve_tls

NOW = 1_700_000_000.0
CALLBACK = "https://bridge.test/callback/okta"
TWO_FA = "urn:okta:loa:2fa:any"


@pytest.fixture(scope="module")
def mimic_server(tls_files: tuple[Path, Path]) -> Iterator[MimicOkta]:
    mimic = MimicOkta(FrozenClock(NOW))
    with serve_tls(mimic.app(), *tls_files) as base:
        mimic.base = base
        yield mimic


@pytest.fixture
def mimic(mimic_server: MimicOkta) -> MimicOkta:
    mimic_server.patch.clear()
    mimic_server.server = "default"
    mimic_server.user_levels = {"urn:okta:loa:1fa:any", "urn:okta:loa:1fa:pwd", TWO_FA}
    return mimic_server


@pytest.fixture
async def http(trust_mimic: ssl.SSLContext) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(verify=trust_mimic) as client:
        yield client


def provider_for(mimic: MimicOkta, http: httpx2.AsyncClient, issuer: str | None = None, **extra: Any) -> OktaProvider:
    settings = OIDCSettings(
        issuer=issuer or mimic.issuer, client_id=mimic.client_id, client_secret=mimic.client_secret,
        display_name="Acme Okta", **extra,
    )  # fmt: skip
    return OktaProvider("okta", settings, http=http, clock=FrozenClock(NOW))


async def login(provider: OktaProvider, mimic: MimicOkta, options: LoginOptions | None = None) -> Identity:
    start = await provider.start_login(CALLBACK, options or LoginOptions())
    params = mimic.authorize(start.url)
    return await provider.finish_login(params, start.flow_state, CALLBACK)


async def test_custom_authorization_server_with_two_factor(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    provider = provider_for(mimic, http, request_acr_values=(TWO_FA,), scopes=("openid", "email", "groups"))
    identity = await login(provider, mimic)
    assert mimic.authorize_queries[-1]["acr_values"] == TWO_FA
    assert (identity.kind, identity.issuer, identity.subject) == ("okta", f"{mimic.base}/oauth2/default", SUB_ALICE)
    assert identity.acr == TWO_FA and identity.requested_acr_values == (TWO_FA,)
    assert identity.amr == ("pwd", "mfa", "otp")  # okta_verify dropped: no RFC 8176 meaning
    assert identity.groups == ("Everyone", "Technicians")
    assert identity.tenant == urlsplit(mimic.base).netloc
    assert identity.auth_time == int(NOW) - 30


async def test_org_authorization_server(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    mimic.server = None
    identity = await login(provider_for(mimic, http, issuer=mimic.base), mimic)
    assert identity.issuer == mimic.base
    assert urlsplit(mimic.authorize_queries[-1]["redirect_uri"]).path == "/callback/okta"


async def test_issuer_is_never_derived(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    """Configured for the org server while the org runs a custom one: discovery names another issuer."""
    with pytest.raises(UpstreamUnavailable):
        await login(provider_for(mimic, http, issuer=f"{mimic.base}/oauth2/other"), mimic)


async def test_token_of_another_authorization_server_is_refused(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    mimic.patch["iss"] = mimic.base  # the org server's tokens are not the custom server's
    with pytest.raises(TokenRejected, match="issuer"):
        await login(provider_for(mimic, http), mimic)


@pytest.mark.parametrize(
    ("okta_amr", "normalised"),
    [
        (["pwd"], ("pwd",)),
        (["sms", "mfa", "pwd"], ("sms", "mfa", "pwd")),
        (["okta_verify", "swk", "pwd", "mfa"], ("swk", "pwd", "mfa")),
        (["google_otp", "pwd", "mfa"], ("otp", "pwd", "mfa")),
        (["pop", "mfa"], ("pop", "mfa")),
        (["sc", "swk", "mfa"], ("sc", "swk", "mfa")),
        (["kba", "pwd"], ("kba", "pwd")),
        (["tel", "email", "duo", "fed"], ("tel",)),
        (["okta_verify", "phr"], ()),
    ],
)
async def test_amr_values_are_normalised_to_rfc_8176(
    mimic: MimicOkta, http: httpx2.AsyncClient, okta_amr: list[str], normalised: tuple[str, ...]
) -> None:
    mimic.patch["amr"] = okta_amr
    assert (await login(provider_for(mimic, http), mimic)).amr == normalised


async def test_an_amr_without_mfa_is_reported_as_is(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    mimic.patch["amr"] = ["pwd", "okta_verify"]
    identity = await login(provider_for(mimic, http, request_acr_values=(TWO_FA,)), mimic)
    assert identity.amr == ("pwd",) and identity.acr == TWO_FA


async def test_a_weaker_acr_than_requested_is_reported_as_returned(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    mimic.patch.update({"acr": "urn:okta:loa:1fa:any", "amr": ["pwd"]})
    identity = await login(provider_for(mimic, http, request_acr_values=(TWO_FA,)), mimic)
    assert identity.acr == "urn:okta:loa:1fa:any" and identity.requested_acr_values == (TWO_FA,)


async def test_unmet_authentication_requirements_is_a_clear_denial(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    mimic.user_levels = {"urn:okta:loa:1fa:any"}  # not enrolled in any second factor
    with pytest.raises(UpstreamDenied) as info:
        await login(provider_for(mimic, http, request_acr_values=(TWO_FA,)), mimic)
    assert f"could not sign you in with the strength this service requires ({TWO_FA})" in info.value.message
    assert "Enrol a second factor" in info.value.message


async def test_other_errors_keep_oktas_words(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    provider = provider_for(mimic, http)
    start = await provider.start_login(CALLBACK, LoginOptions())
    state = mimic.authorize(start.url)["state"]
    params = {"state": state, "error": "access_denied", "error_description": "User is not assigned to the client"}
    with pytest.raises(UpstreamDenied, match="User is not assigned"):
        await provider.finish_login(params, start.flow_state, CALLBACK)


async def test_check_online(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    assert await provider_for(mimic, http).check_online() == []
    problems = await provider_for(mimic, http, issuer=f"{mimic.base}/oauth2/nope").check_online()
    assert len(problems) == 1 and "HTTP 404" in problems[0]


async def test_extra_untrusted_audience_is_rejected_even_with_azp(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    """OIDC Core §3.1.3.7 (3): an id_token that also names an audience the bridge does not trust is refused."""
    mimic.patch.update({"aud": [mimic.client_id, "other"], "azp": mimic.client_id})
    with pytest.raises(TokenRejected, match="audience 'other' is not trusted"):
        await login(provider_for(mimic, http), mimic)


async def test_a_hostile_name_is_capped_and_cleaned(mimic: MimicOkta, http: httpx2.AsyncClient) -> None:
    mimic.patch["name"] = "Eve\r\n\u202e" + "e" * 10_000
    identity = await login(provider_for(mimic, http), mimic)
    assert identity.name == "Eve " + "e" * 252 and identity.cut_claims == ("name",)
