"""Email and SMS one-time codes: making them, sending them (SMTP, HTTP gateway), masking destinations for logs.

Exception tree::

    DeliveryFailed      the code could not be handed to the SMTP server or gateway (`detail` is safe to log)
"""

from __future__ import annotations

import secrets
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx2

from idp_bridge.config.mfa_model import EmailConfig, SMSConfig

CODE_DIGITS = 6


class DeliveryFailed(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def mask_phone(number: str) -> str:
    return f"{number[:3]}•••{number[-2:]}" if len(number) > 6 else "•••"


def message_text(code: str, minutes: int, issuer: str) -> str:
    return f"{code} is your {issuer} sign-in code. It expires in {minutes} minutes. Never share it."


async def send_email(config: EmailConfig, to: str, code: str, minutes: int, issuer: str) -> None:
    message = EmailMessage()
    message["From"] = config.from_address
    message["To"] = to
    message["Subject"] = config.subject
    message.set_content(
        f"{message_text(code, minutes, issuer)}\n\nIf you did not try to sign in, tell your security team.\n"
    )
    password = config.password.get_secret_value() if config.password else None
    try:
        await aiosmtplib.send(
            message,
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=password,
            use_tls=config.security == "tls",
            start_tls=config.security == "starttls",
            timeout=config.timeout_seconds,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP: {type(exc).__name__}: {str(exc)[:200]}") from exc


def _fill(template: Any, to: str, message: str) -> Any:
    if isinstance(template, str):
        return template.replace("{to}", to).replace("{message}", message)
    if isinstance(template, dict):
        return {key: _fill(value, to, message) for key, value in template.items()}
    return template


async def send_sms(
    config: SMSConfig, http: httpx2.AsyncClient, to: str, code: str, minutes: int, issuer: str
) -> None:
    headers = {"Authorization": config.auth_header.get_secret_value()} if config.auth_header else {}
    body = _fill(dict(config.body_template), to, message_text(code, minutes, issuer))
    try:
        response = await http.post(config.url, json=body, headers=headers, timeout=config.timeout_seconds)
    except httpx2.HTTPError as exc:
        raise DeliveryFailed(f"SMS gateway: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"SMS gateway answered HTTP {response.status_code}")
