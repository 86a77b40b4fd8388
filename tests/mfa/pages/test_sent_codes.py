"""Email codes through a real SMTP server and SMS codes through a local HTTP gateway: validity, attempts, resend
cooldown, delivery failures, and a delivery log that never holds the code."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from idp_bridge.config.mfa_model import EmailConfig, SMSConfig
from idp_bridge.mfa import admin
from tests.mfa.mfa_harness import Bridge, alert, csrf, mfa_bridge, mfa_config, secret_of
from tests.mfa.pages.test_totp_login import redeem
from tests.mfa.receivers import Gateway, Mailbox, sms_gateway, smtp_server
from tests.store_peek import audit_types


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with sms_gateway() as gw:
        yield gw


@pytest.fixture
def bridge(tmp_path: Path, upstreams: dict[str, str], key_file: Path, mailbox: Mailbox,
           gateway: Gateway) -> Iterator[Bridge]:  # fmt: skip
    config = mfa_config(
        tmp_path, upstreams, key_file,
        email=EmailConfig(host="127.0.0.1", port=mailbox.port, security="none", from_address="sso@bridge.test"),
        sms=SMSConfig(url=gateway.url, auth_header=SecretStr("Bearer gw-token")),
    )  # fmt: skip
    with mfa_bridge(config) as b:
        yield b


def _with_method(bridge: Bridge, sub: str, method: str, **extra: str) -> None:
    """A first login creates the user; an admin sets the method (which signs them out everywhere)."""
    bridge.login(sub)
    bridge.call(admin.save_settings, bridge.app, bridge.user_id(sub), method=method, **extra)


def test_email_code_signs_in(bridge: Bridge, mailbox: Mailbox) -> None:
    _with_method(bridge, "mia@example.com", "email")
    sent_before = len(mailbox.messages)
    page = bridge.login("mia@example.com", prompt="login").page
    assert page is not None and "m•••@example.com" in page.text
    assert len(mailbox.messages) == sent_before + 1
    message = mailbox.messages[-1]
    assert message["To"] == "mia@example.com" and message["From"] == "sso@bridge.test"
    code = mailbox.last_code()
    done = bridge.follow(bridge.post("/mfa/otp", {"csrf_token": csrf(page), "code": code}))
    claims = redeem(bridge, done.params["code"])
    # Not the authenticator app's level: RFC 8176 has no email value (`otp`), the acr tells them apart.
    assert (claims["acr"], claims["amr"]) == ("urn:idp-bridge:loa:mfa-sent-code", ["otp", "mfa"])
    # The delivery log and the audit trail never hold the code.
    with sqlite3.connect(bridge.db) as conn:
        logged = conn.execute("SELECT * FROM otp_deliveries").fetchall() + conn.execute(
            "SELECT detail FROM audit_events"
        ).fetchall()
    conn.close()
    assert logged and all(code not in str(row) for row in logged)


def test_fourth_attempt_and_expiry(bridge: Bridge, mailbox: Mailbox) -> None:
    _with_method(bridge, "noa@example.com", "email")
    page = bridge.login("noa@example.com", prompt="login").page
    assert page is not None
    token, code = csrf(page), mailbox.last_code()
    wrong = "000000" if code != "000000" else "111111"
    answers = [bridge.post("/mfa/otp", {"csrf_token": token, "code": wrong}) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 400]
    assert "2 attempts left" in alert(answers[0]) and "1 attempt left" in alert(answers[1])
    assert "no longer works" in alert(answers[2])
    fourth = bridge.post("/mfa/otp", {"csrf_token": token, "code": code})  # even the right code: it is spent
    assert fourth.status_code == 400 and "Request a new code" in alert(fourth)
    # A new code (after the cooldown) works, but not after 3 minutes.
    too_soon = bridge.post("/mfa/otp/resend", {"csrf_token": token})
    assert too_soon.status_code == 429 and "seconds" in alert(too_soon)
    bridge.clock.advance(60)
    assert bridge.post("/mfa/otp/resend", {"csrf_token": token}).status_code == 200
    new_code = mailbox.last_code()
    bridge.clock.advance(180)
    expired = bridge.post("/mfa/otp", {"csrf_token": token, "code": new_code})
    assert expired.status_code == 400 and "expired" in alert(expired)
    bridge.clock.advance(1)
    assert bridge.post("/mfa/otp/resend", {"csrf_token": token}).status_code == 200
    done = bridge.follow(bridge.post("/mfa/otp", {"csrf_token": token, "code": mailbox.last_code()}))
    assert "code" in done.params


def test_sms_code_through_the_gateway(bridge: Bridge, gateway: Gateway) -> None:
    _with_method(bridge, "oli", "sms", phone="+15550123")
    page = bridge.login("oli", prompt="login").page
    assert page is not None and "+15•••23" in page.text
    headers, body = gateway.posts[-1]
    assert body["to"] == "+15550123" and headers["Authorization"] == "Bearer gw-token"
    done = bridge.follow(bridge.post("/mfa/otp", {"csrf_token": csrf(page), "code": gateway.last_code()}))
    claims = redeem(bridge, done.params["code"])
    assert (claims["acr"], claims["amr"]) == ("urn:idp-bridge:loa:mfa-sent-code", ["sms", "mfa"])


def test_gateway_failure_is_logged_and_shown(bridge: Bridge, gateway: Gateway) -> None:
    _with_method(bridge, "pia", "sms", phone="+15550999")
    gateway.status = 503
    try:
        page = bridge.login("pia", prompt="login").page
    finally:
        gateway.status = 200
    assert page is not None and "could not be sent" in alert(page)
    with sqlite3.connect(bridge.db) as conn:
        outcome = conn.execute("SELECT outcome, detail FROM otp_deliveries ORDER BY rowid DESC LIMIT 1").fetchone()
    conn.close()
    assert outcome == ("failed", "SMS gateway answered HTTP 503")
    assert ("mfa.otp.delivery_failed", "failure") in audit_types(bridge.db)
    bridge.clock.advance(60)
    assert bridge.post("/mfa/otp/resend", {"csrf_token": csrf(page)}).status_code == 200  # retry works


def test_portal_demanding_the_app_level_steps_an_email_session_up_to_the_authenticator(
    bridge: Bridge, mailbox: Mailbox
) -> None:
    _with_method(bridge, "rae@example.com", "email")
    page = bridge.login("rae@example.com", prompt="login").page
    assert page is not None
    signed_in = bridge.follow(bridge.post("/mfa/otp", {"csrf_token": csrf(page), "code": mailbox.last_code()}))
    first = redeem(bridge, signed_in.params["code"])
    assert first["acr"] == "urn:idp-bridge:loa:mfa-sent-code"
    # A portal content with any second factor gets single sign-on from this session.
    sso = bridge.login("rae@example.com", acr_values="urn:idp-bridge:loa:mfa-sent-code")
    assert "code" in sso.params and redeem(bridge, sso.params["code"])["sid"] == first["sid"]
    # One demanding the authenticator app's level steps the session up to the app (enrolled now), not to email.
    mails = len(mailbox.messages)
    result = bridge.login("rae@example.com", acr_values="urn:idp-bridge:loa:2")
    assert result.page is not None and "Set up two-factor authentication" in result.page.text, result.steps
    assert len(mailbox.messages) == mails  # no email code offered for this step-up
    token = csrf(result.page)
    refused = bridge.post("/mfa/otp", {"csrf_token": token, "code": "123456"})
    assert refused.status_code == 400
    secret = secret_of(result.page)
    assert bridge.post("/mfa/enroll", {"csrf_token": token, "code": bridge.totp_at(secret)}).status_code == 200
    done = bridge.follow(bridge.post("/mfa/complete", {"csrf_token": token}))
    claims = redeem(bridge, done.params["code"])
    assert (claims["acr"], claims["amr"], claims["sid"]) == ("urn:idp-bridge:loa:2", ["otp", "mfa"], first["sid"])


def test_discovery_lists_the_sent_code_level(bridge: Bridge) -> None:
    supported = bridge.client.get("/.well-known/openid-configuration").json()["acr_values_supported"]
    assert "urn:idp-bridge:loa:mfa-sent-code" in supported and "urn:idp-bridge:loa:2" in supported


def test_eight_sign_ins_in_eight_seconds_send_one_code_and_say_when_the_next_is_possible(
    bridge: Bridge, mailbox: Mailbox
) -> None:
    _with_method(bridge, "sam@example.com", "email")
    before = len(mailbox.messages)
    pages = []
    for _ in range(8):
        page = bridge.login("sam@example.com", prompt="login").page
        assert page is not None
        pages.append(page)
        bridge.clock.advance(1)
    assert len(mailbox.messages) == before + 1
    assert "You can request a new code in 53 seconds" in pages[-1].text  # 60 s cooldown, 7 s later
    assert ("mfa.otp.send_refused", "denied") in audit_types(bridge.db)
    resend = bridge.post("/mfa/otp/resend", {"csrf_token": csrf(pages[-1])})
    assert resend.status_code == 429 and resend.headers["Retry-After"] == "52"
    assert "52 seconds" in alert(resend) and len(mailbox.messages) == before + 1
    # The account's cap (5 per 15 minutes) holds even with the cooldown waited out.
    for _ in range(4):
        bridge.clock.advance(60)
        assert bridge.post("/mfa/otp/resend", {"csrf_token": csrf(pages[-1])}).status_code == 200
    bridge.clock.advance(60)
    capped = bridge.post("/mfa/otp/resend", {"csrf_token": csrf(pages[-1])})
    assert capped.status_code == 429 and len(mailbox.messages) == before + 5
    assert int(capped.headers["Retry-After"]) == 900 - (8 + 5 * 60)  # until the first send leaves the window
    # The last code sent still signs in.
    done = bridge.follow(bridge.post("/mfa/otp", {"csrf_token": csrf(pages[-1]), "code": mailbox.last_code()}))
    assert "code" in done.params


@pytest.mark.parametrize(("caps", "limit"), [({"otp_max_sends_per_ip": 2}, "ip"),
                                              ({"otp_max_sends_global": 2}, "overall")])  # fmt: skip
def test_per_ip_and_overall_send_caps_count_every_account(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path, mailbox: Mailbox, caps: dict[str, int], limit: str
) -> None:
    config = mfa_config(
        tmp_path, upstreams, key_file, default_method="email",
        email=EmailConfig(host="127.0.0.1", port=mailbox.port, security="none", from_address="sso@bridge.test"),
        **caps,
    )  # fmt: skip
    with mfa_bridge(config) as bridge:
        before = len(mailbox.messages)
        for sub in ("t1@example.com", "t2@example.com"):
            assert bridge.login(sub).page is not None
        third = bridge.login("t3@example.com").page
        assert third is not None and "No code has been sent yet" in third.text
        assert "You can request a new code in 900 seconds" in third.text
        assert len(mailbox.messages) == before + 2
        with sqlite3.connect(bridge.db) as conn:
            refused = conn.execute(
                "SELECT detail FROM audit_events WHERE type = 'mfa.otp.send_refused' ORDER BY rowid DESC LIMIT 1"
            ).fetchone()
        conn.close()
        assert refused is not None and f'"limit": "{limit}"' in refused[0]


def test_behind_a_trusted_proxy_the_per_ip_send_cap_counts_each_forwarded_client(
    tmp_path: Path, upstreams: dict[str, str], key_file: Path, mailbox: Mailbox
) -> None:
    """Every technician comes through the same proxy: the per-IP cap counts the client it forwards, so one busy
    address is capped and a colleague elsewhere still gets a code."""
    import time

    from starlette.testclient import TestClient

    from idp_bridge.app import create_app
    from idp_bridge.clock import FrozenClock
    from tests.bridge_harness import BRIDGE_ISSUER, LoginDriver

    config = mfa_config(
        tmp_path, upstreams, key_file, default_method="email", otp_max_sends_per_ip=2,
        email=EmailConfig(host="127.0.0.1", port=mailbox.port, security="none", from_address="sso@bridge.test"),
    )  # fmt: skip
    config = config.model_copy(update={"server": config.server.model_copy(update={"trusted_proxies": ("10.0.0.0/8",)})})
    clock = FrozenClock(time.time())
    with TestClient(create_app(config, clock=clock), base_url=BRIDGE_ISSUER, client=("10.0.0.5", 4000)) as client:
        bridge = Bridge(client, clock, LoginDriver(client), config.store.path)
        before = len(mailbox.messages)
        client.headers["X-Forwarded-For"] = "203.0.113.1"
        for sub in ("t1@example.com", "t2@example.com"):
            assert bridge.login(sub).page is not None
        client.headers["X-Forwarded-For"] = "203.0.113.2"
        elsewhere = bridge.login("t3@example.com").page
        assert elsewhere is not None and "No code has been sent yet" not in elsewhere.text
        assert len(mailbox.messages) == before + 3
        client.headers["X-Forwarded-For"] = "203.0.113.1"
        capped = bridge.login("t4@example.com").page
        assert capped is not None and "No code has been sent yet" in capped.text
        bridge.driver.close()
