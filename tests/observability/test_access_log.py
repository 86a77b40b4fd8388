"""The access log and request context, through the whole in-process app: one line per request with the request
id the response echoes, the route template, the real client behind a trusted proxy, redacted queries, refusals
with their reason at INFO, and forward-auth's 200s sampled (none by default)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from idp_bridge.app import create_app
from idp_bridge.config.logging_model import LoggingConfig
from idp_bridge.config.model import Config
from idp_bridge.observability.access_log import RequestObservability
from idp_bridge.observability.client_address import TrustedProxies
from tests.bridge_harness import BRIDGE_ISSUER, PORTAL_ID, PORTAL_REDIRECT

PROXY = ("10.0.0.5", 4000)
OUTSIDER = ("192.0.2.50", 4000)


def _fields(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.fields for r in caplog.records if r.name == "idp_bridge.access"]  # type: ignore[attr-defined]


@pytest.fixture
def proxied_config(config: Config) -> Config:
    server = config.server.model_copy(update={"trusted_proxies": ("10.0.0.0/8",)})
    return config.model_copy(update={"server": server})


@pytest.fixture
def caplog_access(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="idp_bridge.access")
    return caplog


def _client(config: Config, client: tuple[str, int]) -> TestClient:
    return TestClient(create_app(config), base_url=BRIDGE_ISSUER, client=client)


def test_each_request_gets_an_id_echoed_and_in_its_access_line(
    proxied_config: Config, caplog_access: pytest.LogCaptureFixture
) -> None:
    with _client(proxied_config, OUTSIDER) as client:
        first = client.get("/.well-known/openid-configuration", headers={"User-Agent": "probe/1"})
        second = client.get("/.well-known/openid-configuration")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert ids[0] != ids[1] and all(len(i) == 32 for i in ids)
    lines = _fields(caplog_access)
    assert [(f["method"], f["route"], f["status"], f["client_ip"]) for f in lines] == [
        ("GET", "/.well-known/openid-configuration", 200, "192.0.2.50")
    ] * 2
    assert [f["request_id"] for f in lines] == ids
    assert lines[0]["user_agent"] == "probe/1" and lines[0]["duration_ms"] >= 0


def test_a_trusted_proxy_gives_the_client_and_request_id_an_outsider_cannot(
    proxied_config: Config, caplog_access: pytest.LogCaptureFixture
) -> None:
    spoof = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Request-ID": "lb-abc-123"}
    with _client(proxied_config, PROXY) as via_proxy:
        proxied = via_proxy.get("/.well-known/openid-configuration", headers=spoof)
    with _client(proxied_config, OUTSIDER) as direct:
        spoofed = direct.get("/.well-known/openid-configuration", headers=spoof)
    assert proxied.headers["x-request-id"] == "lb-abc-123"
    assert spoofed.headers["x-request-id"] != "lb-abc-123"
    assert [f["client_ip"] for f in _fields(caplog_access)] == ["203.0.113.9", "192.0.2.50"]


def test_a_refusal_is_logged_at_info_with_its_reason_and_the_query_redacted(
    config: Config, caplog_access: pytest.LogCaptureFixture
) -> None:
    query = {"client_id": PORTAL_ID, "redirect_uri": PORTAL_REDIRECT, "response_type": "code", "scope": "openid",
             "state": "STATE-SECRET-1", "login_hint": "alice@example.com", "code_challenge_method": "plain",
             "code_challenge": "CHALLENGE-2"}  # fmt: skip
    with _client(config, OUTSIDER) as client:
        refused = client.get("/authorize", params=query, follow_redirects=False)
    assert 400 <= refused.status_code < 500 or refused.status_code in (302, 303)
    [record] = [r for r in caplog_access.records if r.name == "idp_bridge.access"]
    fields = record.fields  # type: ignore[attr-defined]
    assert record.levelno == logging.INFO and fields["route"] == "/authorize"
    if fields["status"] >= 400:
        assert fields["reason"] not in ("", "-")
    for secret in ("STATE-SECRET-1", "alice@example.com", "CHALLENGE-2"):
        assert secret not in record.getMessage() and secret not in str(fields)
    assert "client_id=console" in fields["query"]


def test_an_unknown_path_is_a_refusal_with_a_reason(config: Config, caplog_access: pytest.LogCaptureFixture) -> None:
    with _client(config, OUTSIDER) as client:
        assert client.get("/nowhere").status_code == 404
    [fields] = _fields(caplog_access)
    assert (fields["route"], fields["status"], fields["reason"]) == ("/nowhere", 404, "not_found")


def _hot_app(sample_rate: float) -> Starlette:
    async def answer(request: Request) -> PlainTextResponse:
        return PlainTextResponse("", status_code=int(request.query_params.get("status", "200")))

    app = Starlette(routes=[Route("/forward-auth", answer), Route("/other", answer)])
    app.add_middleware(
        RequestObservability, trusted_proxies=TrustedProxies(()), access_log=True, hot_paths={"/forward-auth"},
        hot_success_sample_rate=sample_rate,
    )  # fmt: skip
    return app


@pytest.mark.parametrize(("rate", "logged_successes"), [(0.0, 0), (1.0, 3)])
def test_forward_auth_successes_are_sampled_and_its_refusals_always_logged(
    rate: float, logged_successes: int, caplog_access: pytest.LogCaptureFixture
) -> None:
    with TestClient(_hot_app(rate)) as client:
        for _ in range(3):
            client.get("/forward-auth")
        client.get("/forward-auth?status=401")
        client.get("/other")
    statuses = [(f["route"], f["status"]) for f in _fields(caplog_access)]
    assert statuses == [("/forward-auth", 200)] * logged_successes + [("/forward-auth", 401), ("/other", 200)]


def test_the_access_log_can_be_switched_off(config: Config, caplog_access: pytest.LogCaptureFixture) -> None:
    quiet = config.model_copy(update={"logging": LoggingConfig(access_log=False)})
    with _client(quiet, OUTSIDER) as client:
        assert "x-request-id" in client.get("/.well-known/openid-configuration").headers
    assert _fields(caplog_access) == []


def test_the_scheme_and_client_a_trusted_proxy_reports_are_what_the_app_sees() -> None:
    async def echo(request: Request) -> PlainTextResponse:
        assert request.client is not None
        return PlainTextResponse(f"{request.url.scheme} {request.client.host}")

    app = Starlette(routes=[Route("/", echo)])
    app.add_middleware(RequestObservability, trusted_proxies=TrustedProxies(["10.0.0.0/8"]), access_log=False)
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    with TestClient(app, base_url="http://bridge.test", client=PROXY) as via_proxy:
        assert via_proxy.get("/", headers=forwarded).text == "https 203.0.113.9"
    with TestClient(app, base_url="http://bridge.test", client=OUTSIDER) as direct:
        assert direct.get("/", headers=forwarded).text == "http 192.0.2.50"


def test_an_unhandled_error_is_logged_with_the_request_id_and_a_500_access_line(
    config: Config, caplog_access: pytest.LogCaptureFixture
) -> None:
    from idp_bridge.observability.log_setup import RequestIdFilter

    async def boom(request: Request) -> PlainTextResponse:
        raise RuntimeError("bug")

    app = create_app(config)
    app.router.routes.append(Route("/boom", boom))
    seen = RequestIdFilter()
    logging.getLogger("idp_bridge").addFilter(seen)
    try:
        with TestClient(app, base_url=BRIDGE_ISSUER, raise_server_exceptions=False) as client:
            assert client.get("/boom").status_code == 500
    finally:
        logging.getLogger("idp_bridge").removeFilter(seen)
    [error] = [r for r in caplog_access.records if r.name == "idp_bridge" and r.levelno == logging.ERROR]
    [access] = _fields(caplog_access)
    assert (access["route"], access["status"]) == ("/boom", 500)
    assert error.request_id == access["request_id"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _no_leftover_context() -> Iterator[None]:
    yield
    from idp_bridge.observability import request_context

    assert request_context.current() is None
