"""The demo portal against a real OIDC provider process (the upstream mock standing in for the bridge)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx2
import pytest
import uvicorn
from starlette.applications import Starlette

from idp_bridge.demo import upstream
from idp_bridge.demo.portal import SESSION_COOKIE, create_demo_portal
from idp_bridge.demo.upstream import DEMO_ADMIN_GROUP, DEMO_USERS, run_demo_upstream

CLIENT_ID = "demo-portal"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _serve(app: Starlette, sock: socket.socket) -> Iterator[None]:
    """Serve an ASGI app with uvicorn in a background thread on an already bound socket."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "portal did not start"
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def _portal(bridge_issuer: str, transport: httpx2.AsyncBaseTransport | None = None) -> Iterator[str]:
    """Run a demo portal against `bridge_issuer`; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_demo_portal(
        bridge_issuer=bridge_issuer,
        client_id=CLIENT_ID,
        client_secret="demo-secret",
        base_url=base_url,
        secret_key="test-portal-secret-key",
        transport=transport,
    )
    with sock, _serve(app, sock):
        yield base_url


@pytest.fixture(scope="module")
def mock_issuer() -> Iterator[str]:
    with run_demo_upstream(_free_port()) as issuer:
        yield issuer


@pytest.fixture(scope="module")
def portal_url(mock_issuer: str) -> Iterator[str]:
    with _portal(mock_issuer) as base_url:
        yield base_url


@pytest.fixture
def browser() -> Iterator[httpx2.Client]:
    with httpx2.Client(timeout=10, trust_env=False) as client:
        yield client


_VOID_TAGS = frozenset({"meta", "link", "br", "hr", "img", "input"})


class _Page(HTMLParser):
    """Collects the claims table (`data-claim` rows, `claim-value` cells) and element texts by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.claims: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self._claim: str | None = None
        self._in_value = False
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of the open elements
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr" and attributes.get("data-claim"):
            self._claim = attributes["data-claim"]
            self.claims[str(self._claim)] = ""
        if tag == "td" and attributes.get("class") == "claim-value":
            self._in_value = True
        if tag not in _VOID_TAGS:
            self._open.append((tag, attributes.get("id")))
        if attributes.get("id"):
            self.texts[str(attributes["id"])] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_value = False
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._in_value and self._claim is not None:
            self.claims[self._claim] += data
        for _, element_id in self._open:
            if element_id is not None:
                self.texts[element_id] += data


def _authorize_form(browser: httpx2.Client, portal_url: str) -> httpx2.Response:
    """Portal /login, followed to the provider's sign-in form."""
    form = browser.get(f"{portal_url}/login", follow_redirects=True)
    assert form.status_code == 200, form.text
    assert "/oauth2/authorize" in str(form.url)
    return form


def test_login_through_a_real_provider_shows_the_id_token_claims(
    browser: httpx2.Client, portal_url: str, mock_issuer: str
) -> None:
    home = browser.get(f"{portal_url}/")
    assert "Demo portal" in home.text and 'href="/login"' in home.text
    assert "Sign in through idp-bridge" in home.text

    form = _authorize_form(browser, portal_url)
    query = parse_qs(urlsplit(str(form.url)).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == [f"{portal_url}/callback"]
    assert 'value="alice"' in form.text  # DEMO_USERS are one-click buttons

    page = browser.post(str(form.url), data={"sub": "alice"}, follow_redirects=True)

    assert page.status_code == 200, page.text
    assert str(page.url) == f"{portal_url}/"
    parsed = _Page(page.text)
    assert parsed.texts["who"] == "Alice Technician"
    assert parsed.claims["sub"] == "alice"
    assert parsed.claims["email"] == "alice@example.com"
    assert parsed.claims["iss"] == mock_issuer
    assert parsed.claims["aud"] in (CLIENT_ID, f'["{CLIENT_ID}"]')
    assert SESSION_COOKIE in browser.cookies

    # RP-initiated logout: the local session ends, then the provider's end_session_endpoint is asked
    leaving = browser.get(f"{portal_url}/logout")
    assert leaving.status_code == 303
    end_session = urlsplit(leaving.headers["location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{mock_issuer}/oauth2/end_session"
    sent = parse_qs(end_session.query)
    assert sent["post_logout_redirect_uri"] == [f"{portal_url}/"] and sent["id_token_hint"][0].count(".") == 2
    signed_out = browser.get(f"{portal_url}/")
    assert "Signed in as" not in signed_out.text and "Sign in through idp-bridge" in signed_out.text


def test_tampered_state_gives_a_readable_400(browser: httpx2.Client, portal_url: str) -> None:
    form = _authorize_form(browser, portal_url)
    answer = browser.post(str(form.url), data={"sub": "alice"})
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    params = {key: values[0] for key, values in parse_qs(location.query).items()}
    params["state"] = params["state"][:-1] + ("A" if params["state"][-1] != "A" else "B")

    page = browser.get(urlunsplit(location._replace(query=urlencode(params))))

    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    parsed = _Page(page.text)
    assert "does not belong to a sign-in started here" in parsed.texts["error-title"]
    assert "mismatching_state" in parsed.texts["error-detail"]
    assert "Traceback" not in page.text
    assert "Signed in as" not in browser.get(f"{portal_url}/").text


class _HostRewritingTransport(httpx2.AsyncHTTPTransport):
    """Sends every call with another Host header, so the mock derives a different issuer from it."""

    def __init__(self, host: str) -> None:
        super().__init__()
        self._host = host

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request.headers["Host"] = self._host
        return await super().handle_async_request(request)


def test_issuer_is_checked_exactly_not_against_discovery(browser: httpx2.Client, mock_issuer: str) -> None:
    """Discovery and the id_token both say `localhost`; the portal was told `127.0.0.1`: reference §6.1."""
    host = urlsplit(mock_issuer).netloc.replace("127.0.0.1", "localhost")
    with _portal(mock_issuer, transport=_HostRewritingTransport(host)) as portal_url:
        form = _authorize_form(browser, portal_url)
        page = browser.post(str(form.url), data={"sub": "alice"}, follow_redirects=True)

    assert page.status_code == 400
    assert "iss" in _Page(page.text).texts["error-detail"]
    assert "Traceback" not in page.text


def test_demo_users_have_the_claims_the_demo_relies_on() -> None:
    by_sub = {user.sub: user for user in DEMO_USERS}
    assert by_sub["alice"].email == "alice@example.com" and by_sub["alice"].name == "Alice Technician"
    assert by_sub["bob"].email == "bob@example.com" and by_sub["bob"].name == "Bob Admin"
    assert all(user.claims()["sub"] == user.sub for user in DEMO_USERS)
    # bob's upstream group is what the demo's policy maps to Super Admin (demo/runner.py); nobody else has one.
    assert by_sub["bob"].claims()["groups"] == [DEMO_ADMIN_GROUP]
    assert all("groups" not in user.claims() for user in DEMO_USERS if user.sub != "bob")


def test_run_demo_upstream_reports_a_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(RuntimeError, match=rf"port {port} on 127\.0\.0\.1 is not available"),
            run_demo_upstream(port),
        ):
            pytest.fail("must not start")


def test_run_demo_upstream_reports_an_early_exit_with_its_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    script = "import sys; sys.stderr.write('Error: no such option --bogus\\n'); sys.exit(2)"
    monkeypatch.setattr(upstream, "upstream_command", lambda port: [sys.executable, "-c", script])
    with (
        pytest.raises(RuntimeError, match=r"exited with code 2(.|\n)*no such option --bogus"),
        run_demo_upstream(_free_port()),
    ):
        pytest.fail("must not start")


def test_run_demo_upstream_gives_up_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    script = "import sys, time; print('starting...', file=sys.stderr, flush=True); time.sleep(60)"
    monkeypatch.setattr(upstream, "upstream_command", lambda port: [sys.executable, "-c", script])
    started = time.monotonic()
    with (
        pytest.raises(RuntimeError, match=r"did not answer (.|\n)*within 0\.5 s(.|\n)*starting\.\.\."),
        run_demo_upstream(_free_port(), startup_timeout=0.5),
    ):
        pytest.fail("must not start")
    assert time.monotonic() - started < 10  # terminated, not waited for
