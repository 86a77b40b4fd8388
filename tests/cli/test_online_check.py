"""`idp-bridge check-config --online` against live local mimics of Entra, Google and Okta, and an unreachable one."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from idp_bridge.cli.main import main
from idp_bridge.clock import FrozenClock
from tests.config.loader_harness import BASE, write
from tests.providers.mimic_entra import TENANT_A, MimicEntra
from tests.providers.mimic_google import MimicGoogle
from tests.providers.mimic_okta import MimicOkta
from tests.providers.tls_server import self_signed_certificate, serve_tls


@pytest.fixture(scope="module")
def upstreams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    clock = FrozenClock()
    entra, google, okta = MimicEntra(clock), MimicGoogle(clock), MimicOkta(clock)
    with (
        serve_tls(entra.app(), cert, key) as e,
        serve_tls(google.app(), cert, key) as g,
        serve_tls(okta.app(), cert, key) as o,
    ):
        entra.base, google.base, okta.base = e, g, o
        yield {"entra": entra, "google": google, "okta": okta, "cert": cert}


@pytest.fixture
def trust(upstreams: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(upstreams["cert"]))


def config_data(upstreams: dict[str, Any], **overrides: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    entra, google, okta = upstreams["entra"], upstreams["google"], upstreams["okta"]
    data["providers"] = {
        "entra": {"kind": "entra", "display_name": "Microsoft", "tenant": "organizations",
                  "client_id": entra.client_id, "client_secret": entra.client_secret,
                  "allowed_tenants": [TENANT_A], "authority_host": entra.base},
        "google": {"kind": "google", "display_name": "Google", "client_id": google.client_id,
                   "client_secret": google.client_secret, "allowed_domains": ["example.com"],
                   "issuer": google.base},
        "okta": {"kind": "okta", "display_name": "Okta", "issuer": okta.issuer, "client_id": okta.client_id,
                 "client_secret": okta.client_secret},
    }  # fmt: skip
    for pid, changes in overrides.items():
        data["providers"][pid].update(changes)
    data["policy"] = {"allowed_providers": list(data["providers"])}
    return data


def test_all_upstreams_answer(
    upstreams: dict[str, Any], trust: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, config_data(upstreams))
    assert main(["check-config", "--online", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: OK (upstream providers reachable and consistent)"


def test_problems_in_plain_words_one_per_line(
    upstreams: dict[str, Any], trust: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    okta_base = upstreams["okta"].base
    data = config_data(
        upstreams,
        entra={"tenant": "cccccccc-0000-4000-8000-00000000000c", "allowed_tenants": []},
        google={"issuer": "https://127.0.0.1:1"},  # nothing listens there
        okta={"issuer": f"{okta_base}/oauth2/other"},  # not this org's authorization server
    )
    assert main(["check-config", "--online", str(write(tmp_path, data))]) == 2
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3, lines
    entra, google, okta = lines
    assert entra.startswith("provider 'entra': ") and "AADSTS90002" in entra and "not found" in entra
    assert google == (
        "provider 'google': discovery document at https://127.0.0.1:1/.well-known/openid-configuration "
        "is unreachable (ConnectError)"
    )
    assert okta.startswith("provider 'okta': discovery document at") and "HTTP 404" in okta


def test_offline_problems_come_first_and_skip_the_network(
    upstreams: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = config_data(upstreams, google={"allowed_domains": []})
    assert main(["check-config", "--online", str(write(tmp_path, data))]) == 2
    assert (
        capsys.readouterr().out.strip()
        == "providers.google.allowed_domains: must name at least one Workspace domain (got [])"
    )
