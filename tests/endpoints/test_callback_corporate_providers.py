"""Entra, Google and Okta logins through the whole bridge (in-process), each provider module talking to its
local mimic over loopback TLS: refused accounts get a clear 403 page and an audit event, and create nothing."""

from __future__ import annotations

import sqlite3
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from idp_bridge.app import create_app
from idp_bridge.clock import FrozenClock
from idp_bridge.config.model import Config, PolicyConfig
from idp_bridge.config.provider_models import (
    EntraProviderConfig,
    GoogleProviderConfig,
    IdentityRuleConfig,
    MFATrustConfig,
    OktaProviderConfig,
)
from tests.bridge_harness import (
    BRIDGE_ISSUER,
    PORTAL_ID,
    PUBLIC_PORTAL_ID,
    PUBLIC_REDIRECT,
    authorize_query,
    error_page_text,
    make_config,
)
from tests.providers.mimic_base import DELETE
from tests.providers.mimic_entra import OID_ALICE, OID_MALLORY, TENANT_A, TENANT_B, TENANT_EVIL, MimicEntra
from tests.providers.mimic_google import MimicGoogle
from tests.providers.mimic_okta import MimicOkta
from tests.providers.tls_server import self_signed_certificate, serve_tls
from tests.store_peek import counts, last_audit

NOW = 1_700_000_000.0
pytestmark = pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended:UserWarning")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def mimics(tls: tuple[Path, Path]) -> Iterator[dict[str, Any]]:
    clock = FrozenClock(NOW)
    entra, google, okta = MimicEntra(clock), MimicGoogle(clock), MimicOkta(clock)
    with serve_tls(entra.app(), *tls) as e, serve_tls(google.app(), *tls) as g, serve_tls(okta.app(), *tls) as o:
        entra.base, google.base, okta.base = e, g, o
        yield {"entra": entra, "google": google, "okta": okta}


@pytest.fixture
def reset(mimics: dict[str, Any]) -> dict[str, Any]:
    for mimic in mimics.values():
        mimic.patch.clear()
    return mimics


def bridge_config(tmp_path: Path, key_file: Path, mimics: dict[str, Any], portal_rules: dict[str, Any]) -> Config:
    entra, google, okta = mimics["entra"], mimics["google"], mimics["okta"]
    base = make_config(tmp_path, {"corp": "https://corp.example"}, key_file=key_file)
    providers = {
        "entra": EntraProviderConfig(
            kind="entra", display_name="Microsoft", tenant="organizations", client_id=entra.client_id,
            client_secret=SecretStr(entra.client_secret), allowed_tenants=(TENANT_A, TENANT_B),
            authority_host=entra.base,
        ),
        "google": GoogleProviderConfig(
            kind="google", display_name="Google", client_id=google.client_id,
            client_secret=SecretStr(google.client_secret), allowed_domains=("example.com",), issuer=google.base,
        ),
        "okta": OktaProviderConfig(
            kind="okta", display_name="Acme Okta", issuer=okta.issuer, client_id=okta.client_id,
            client_secret=SecretStr(okta.client_secret),
            mfa=MFATrustConfig(request_acr_values=("urn:okta:loa:2fa:any",)),
        ),
    }  # fmt: skip
    portal = base.portals[PORTAL_ID]
    portals = {**base.portals, PORTAL_ID: portal.model_copy(update={"identity_rules": portal_rules})}
    return base.model_copy(
        update={
            "providers": providers,
            "policy": PolicyConfig(allowed_providers=("entra", "google", "okta")),
            "portals": portals,
        }
    )


@pytest.fixture
def make_bridge(
    tmp_path: Path, key_file: Path, reset: dict[str, Any], tls: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # msal (requests) trusts the mimics' certificate
        monkeypatch.setenv(name, str(tls[0]))
    clients: list[TestClient] = []

    def build(portal_rules: dict[str, Any] | None = None) -> TestClient:
        config = bridge_config(tmp_path, key_file, reset, portal_rules or {})
        http = httpx2.AsyncClient(verify=ssl.create_default_context(cafile=str(tls[0])))
        client = TestClient(create_app(config, clock=FrozenClock(NOW), http=http), base_url=BRIDGE_ISSUER)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def login(client: TestClient, mimic: Any, provider: str, user: dict[str, Any] | None = None, **query: str) -> Any:
    start = client.get(
        "/authorize?" + urlencode(authorize_query(provider_hint=provider, **query)), follow_redirects=False
    )
    assert start.status_code == 303, start.text
    params = mimic.authorize(start.headers["location"], user)
    return client.get(f"/callback/{provider}?" + urlencode(params), follow_redirects=False)


def db(tmp_path: Path) -> str:
    return str(tmp_path / "bridge.sqlite3")


def assert_nothing_created(tmp_path: Path) -> None:
    created = counts(db(tmp_path))
    assert (created["users"], created["sessions"], created["codes"]) == (0, 0, 0), created
    assert created["login_flows"] == 0


def test_entra_login_of_an_allowed_tenant(make_bridge: Any, reset: dict[str, Any], tmp_path: Path) -> None:
    response = login(make_bridge(), reset["entra"], "entra")
    assert response.status_code == 303 and "code=" in response.headers["location"], response.text
    assert counts(db(tmp_path))["users"] == 1


def test_entra_tenant_not_allowed_by_the_provider(make_bridge: Any, reset: dict[str, Any], tmp_path: Path) -> None:
    response = login(make_bridge(), reset["entra"], "entra", {"tid": TENANT_EVIL, "oid": OID_MALLORY})
    assert response.status_code == 403
    title, message = error_page_text(response)
    assert title == "Sign-in failed" and f"tenant {TENANT_EVIL} may not sign in" in message
    assert_nothing_created(tmp_path)
    event, outcome, detail = last_audit(db(tmp_path))
    assert (event, outcome, detail["provider_id"]) == ("login.failed", "failure", "entra")
    assert TENANT_EVIL in detail["description"]


def test_entra_tenant_not_allowed_for_this_portal(make_bridge: Any, reset: dict[str, Any], tmp_path: Path) -> None:
    client = make_bridge({"entra": IdentityRuleConfig(tenants=(TENANT_A,))})
    response = login(client, reset["entra"], "entra", {"tid": TENANT_B, "oid": OID_MALLORY})
    assert response.status_code == 403
    title, message = error_page_text(response)
    assert title == "Sign-in not allowed" and "organisation may not sign in" in message
    assert_nothing_created(tmp_path)
    event, outcome, detail = last_audit(db(tmp_path))
    assert (event, outcome, detail["reason"], detail["subject"]) == ("login.denied", "denied", "tenant_not_allowed",
                                                                     OID_MALLORY)  # fmt: skip


def test_same_email_in_another_tenant_is_another_user(make_bridge: Any, reset: dict[str, Any], tmp_path: Path) -> None:
    client = make_bridge()
    assert login(client, reset["entra"], "entra").status_code == 303
    takeover = {"tid": TENANT_B, "oid": OID_MALLORY, "email": "alice@contoso.example"}
    client.cookies.clear()
    assert login(client, reset["entra"], "entra", takeover).status_code == 303
    with sqlite3.connect(db(tmp_path)) as conn:
        users = sorted(conn.execute("SELECT issuer, subject FROM users"))
    assert users == sorted([(f"{reset['entra'].base}/{TENANT_A}/v2.0", OID_ALICE),
                            (f"{reset['entra'].base}/{TENANT_B}/v2.0", OID_MALLORY)])  # fmt: skip


def test_group_overage_under_a_group_rule(make_bridge: Any, reset: dict[str, Any], tmp_path: Path) -> None:
    client = make_bridge({"entra": IdentityRuleConfig(groups=("g-technicians",))})
    overage = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph.x"}}}
    response = login(client, reset["entra"], "entra", overage)
    assert response.status_code == 403
    assert "too many groups" in error_page_text(response)[1]
    assert last_audit(db(tmp_path))[2]["reason"] == "group_overage"
    assert_nothing_created(tmp_path)


@pytest.mark.parametrize(
    ("patch", "words"),
    [({"hd": DELETE}, "does not belong to a Google Workspace"), ({"hd": "evil.example"}, "may not sign in"),
     ({"email_verified": False}, "not verified")],
    ids=["hd missing", "hd different", "email not verified"],
)  # fmt: skip
def test_google_account_outside_the_allowed_domains(
    make_bridge: Any, reset: dict[str, Any], tmp_path: Path, patch: dict[str, Any], words: str
) -> None:
    reset["google"].patch.update(patch)
    response = login(make_bridge(), reset["google"], "google")
    assert response.status_code == 403
    assert words in error_page_text(response)[1]
    assert_nothing_created(tmp_path)
    assert last_audit(db(tmp_path))[:2] == ("login.failed", "failure")


def test_google_workspace_login(make_bridge: Any, reset: dict[str, Any], tmp_path: Path) -> None:
    response = login(make_bridge(), reset["google"], "google")
    assert response.status_code == 303, response.text
    assert counts(db(tmp_path))["sessions"] == 1


def test_okta_unmet_authentication_requirements_page(make_bridge: Any, reset: dict[str, Any], tmp_path: Path) -> None:
    okta = reset["okta"]
    okta.user_levels = {"urn:okta:loa:1fa:any"}
    try:
        response = login(make_bridge(), okta, "okta")
    finally:
        okta.user_levels = {"urn:okta:loa:1fa:any", "urn:okta:loa:1fa:pwd", "urn:okta:loa:2fa:any"}
    assert response.status_code == 403
    _, message = error_page_text(response)
    assert "strength this service requires (urn:okta:loa:2fa:any)" in message
    assert_nothing_created(tmp_path)


def test_okta_login(make_bridge: Any, reset: dict[str, Any], tmp_path: Path) -> None:
    response = login(make_bridge(), reset["okta"], "okta")
    assert response.status_code == 303, response.text


def test_a_portal_with_its_own_rule_is_not_answered_from_another_portals_session(
    make_bridge: Any, reset: dict[str, Any], tmp_path: Path
) -> None:
    client = make_bridge({"entra": IdentityRuleConfig(tenants=(TENANT_A,))})
    spa = {"client_id": PUBLIC_PORTAL_ID, "redirect_uri": PUBLIC_REDIRECT}
    signed_in = login(client, reset["entra"], "entra", {"tid": TENANT_B, "oid": OID_MALLORY}, **spa)
    assert signed_in.status_code == 303 and "code=" in signed_in.headers["location"]  # no rule for the spa
    sso = client.get("/authorize?" + urlencode(authorize_query(**spa)), follow_redirects=False)
    assert sso.status_code == 303 and "code=" in sso.headers["location"]  # single sign-on where no rule applies
    console = client.get("/authorize?" + urlencode(authorize_query(provider_hint="entra")), follow_redirects=False)
    assert console.status_code == 303 and console.headers["location"].startswith(reset["entra"].base)
