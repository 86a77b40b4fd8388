"""providers.google against a local Google mimic over loopback TLS."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from idp_bridge.clock import FrozenClock
from providers.base import AccountNotAllowed, Identity, LoginOptions, OIDCSettings, TokenRejected, UpstreamDenied
from providers.google import GoogleProvider
from tests.providers.mimic_base import DELETE
from tests.providers.mimic_google import SUB_ALICE, MimicGoogle
from tests.providers.tls_server import serve_tls

NOW = 1_700_000_000.0
CALLBACK = "https://bridge.test/callback/google"


@pytest.fixture(scope="module")
def mimic_server(tls_files: tuple[Path, Path]) -> Iterator[MimicGoogle]:
    mimic = MimicGoogle(FrozenClock(NOW))
    with serve_tls(mimic.app(), *tls_files) as base:
        mimic.base = base
        yield mimic


@pytest.fixture
def mimic(mimic_server: MimicGoogle) -> MimicGoogle:
    mimic_server.patch.clear()
    mimic_server.legacy_issuer = False
    return mimic_server


@pytest.fixture
async def http(trust_mimic: ssl.SSLContext) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(verify=trust_mimic) as client:
        yield client


def provider_for(
    mimic: MimicGoogle, http: httpx2.AsyncClient, domains: tuple[str, ...] = ("example.com",), **extra: Any
) -> GoogleProvider:
    settings = OIDCSettings(
        issuer=mimic.base, client_id=mimic.client_id, client_secret=mimic.client_secret, display_name="Google",
        **extra,
    )  # fmt: skip
    return GoogleProvider("google", settings, allowed_domains=domains, http=http, clock=FrozenClock(NOW))


async def login(
    provider: GoogleProvider,
    mimic: MimicGoogle,
    user: dict[str, Any] | None = None,
    options: LoginOptions | None = None,
) -> Identity:
    start = await provider.start_login(CALLBACK, options or LoginOptions())
    params = mimic.authorize(start.url, user)
    return await provider.finish_login(params, start.flow_state, CALLBACK)


def sent(mimic: MimicGoogle) -> dict[str, str]:
    return mimic.authorize_queries[-1]


async def test_workspace_login(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    identity = await login(provider_for(mimic, http), mimic)
    assert (identity.kind, identity.issuer, identity.subject) == ("google", mimic.base, SUB_ALICE)
    assert identity.tenant == "example.com" and identity.email_verified is True
    assert sent(mimic)["hd"] == "example.com"  # the hint; the decision is on the signed claim


async def test_both_issuer_spellings_give_the_same_user(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    provider = provider_for(mimic, http)
    modern = await login(provider, mimic)
    mimic.legacy_issuer = True
    legacy = await login(provider, mimic)
    assert legacy.raw_claims["iss"] == urlsplit(mimic.base).netloc
    assert (legacy.issuer, legacy.subject) == (modern.issuer, modern.subject)


async def test_other_issuer_is_refused(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    mimic.patch["iss"] = "https://accounts.evil.example"
    with pytest.raises(TokenRejected, match="issuer"):
        await login(provider_for(mimic, http), mimic)


async def test_no_mfa_evidence_is_ever_reported(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    """Google sends none; even a token that carried amr/acr would not count (Google does not define them)."""
    mimic.patch.update({"amr": ["pwd", "mfa"], "acr": "urn:x:loa:2"})
    identity = await login(provider_for(mimic, http, request_acr_values=("urn:x:loa:2",)), mimic)
    assert (identity.amr, identity.acr, identity.requested_acr_values) == ((), None, ())
    assert "acr_values" not in sent(mimic)


async def test_prompt_login_and_max_age_are_not_sent_to_google(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    identity = await login(provider_for(mimic, http), mimic, options=LoginOptions(prompt="login", max_age=0))
    assert sent(mimic)["prompt"] == "select_account" and "max_age" not in sent(mimic)
    assert identity.auth_time is None  # Google sends none: the bridge's step-up supplies freshness


async def test_several_domains_send_the_wildcard_hint(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    await login(provider_for(mimic, http, ("example.com", "example.org")), mimic)
    assert parse_qs(urlsplit(f"?hd={sent(mimic)['hd']}").query)["hd"] == ["*"]


async def test_domain_match_ignores_case(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    identity = await login(provider_for(mimic, http, ("Example.COM",)), mimic, {"hd": "EXAMPLE.com"})
    assert identity.tenant == "example.com"


BAD_ACCOUNTS: list[tuple[str, dict[str, Any], str]] = [
    ("hd missing (personal account)", {"hd": DELETE}, "does not belong to a Google Workspace organisation"),
    ("hd of another domain", {"hd": "evil.example"}, "domain 'evil.example' may not sign in"),
    ("hd of a look-alike domain", {"hd": "example.com.evil.example"}, "may not sign in"),
    ("email_verified false", {"email_verified": False}, "not verified"),
    ("email_verified as a string", {"email_verified": "true"}, "not verified"),
    ("email_verified missing", {"email_verified": DELETE}, "not verified"),
]


@pytest.mark.parametrize(("patch", "words"), [c[1:] for c in BAD_ACCOUNTS], ids=[c[0] for c in BAD_ACCOUNTS])
async def test_accounts_outside_the_allow_list(
    mimic: MimicGoogle, http: httpx2.AsyncClient, patch: dict[str, Any], words: str
) -> None:
    mimic.patch.update(patch)
    with pytest.raises(AccountNotAllowed, match=words):
        await login(provider_for(mimic, http), mimic)


async def test_email_suffix_never_stands_in_for_hd(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    mimic.patch.update({"hd": DELETE, "email": "mallory@example.com"})
    with pytest.raises(AccountNotAllowed):
        await login(provider_for(mimic, http), mimic)


async def test_user_cancels(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    with pytest.raises(UpstreamDenied, match="access_denied"):
        await login(provider_for(mimic, http), mimic, {"_deny": True})


async def test_check_online(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    assert await provider_for(mimic, http).check_online() == []


async def test_extra_untrusted_audience_is_rejected_even_with_azp(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    """OIDC Core §3.1.3.7 (3): an id_token that also names an audience the bridge does not trust is refused."""
    mimic.patch.update({"aud": [mimic.client_id, "other"], "azp": mimic.client_id})
    with pytest.raises(TokenRejected, match="audience 'other' is not trusted"):
        await login(provider_for(mimic, http), mimic)


async def test_a_hostile_name_is_capped_and_cleaned(mimic: MimicGoogle, http: httpx2.AsyncClient) -> None:
    mimic.patch["name"] = "Eve\r\n\u202e" + "e" * 10_000
    identity = await login(provider_for(mimic, http), mimic)
    assert identity.name == "Eve " + "e" * 252 and identity.cut_claims == ("name",)
