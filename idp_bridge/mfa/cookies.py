"""The MFA cookies: the pending-login cookie (between the factors) and the remember-this-device cookie.

Outside dev mode both are `__Host-` cookies (sessions/cookie.py cookie_name). Both hold a random token,
HMAC-signed (itsdangerous) so that forged values are refused before any store read; the
store knows only the token's hash. The device cookie also names the user and the MFA enrollment generation it
was issued for, and the store record must agree with both.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from starlette.requests import Request
from starlette.responses import Response

from idp_bridge.sessions.cookie import cookie_name

PENDING_COOKIE = "idp_bridge_mfa"
DEVICE_COOKIE = "idp_bridge_device"
MAX_COOKIE_LENGTH = 512


class SignedCookie:
    def __init__(self, secret_key: str, name: str, *, path: str, secure: bool) -> None:
        self._signer = Signer(secret_key, salt=f"idp-bridge.{name}", digest_method=hashlib.sha256)
        self.name = cookie_name(name, secure=secure)
        # A `__Host-` cookie must have Path=/ (browsers refuse it otherwise); a narrower path only in dev mode.
        self._path = "/" if self.name.startswith("__Host-") else path
        self._secure = secure

    def read(self, request: Request) -> str | None:
        """The cookie's verified value, or None (absent, oversized or forged)."""
        raw = request.cookies.get(self.name)
        if not raw:
            return None
        return self.verify(raw)

    def present(self, request: Request) -> bool:
        return bool(request.cookies.get(self.name))

    def verify(self, raw: str) -> str | None:
        if len(raw) > MAX_COOKIE_LENGTH:
            return None
        try:
            return self._signer.unsign(raw).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    def sign(self, value: str) -> str:
        return self._signer.sign(value).decode()

    def set(self, response: Response, value: str, max_age: int | None) -> None:
        response.set_cookie(
            self.name, self.sign(value), max_age=max_age, httponly=True, secure=self._secure, samesite="lax",
            path=self._path,
        )  # fmt: skip

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path=self._path, httponly=True, secure=self._secure, samesite="lax")


@dataclass(frozen=True)
class DeviceClaim:
    """What a device cookie says: its token, and the user and enrollment generation it was issued for."""

    token: str
    user_id: str
    generation: int

    def encode(self) -> str:
        return f"{self.token}|{self.user_id}|{self.generation}"

    @classmethod
    def decode(cls, value: str) -> DeviceClaim | None:
        parts = value.split("|")
        if len(parts) != 3 or not parts[2].isascii() or not parts[2].isdigit():
            return None
        return cls(parts[0], parts[1], int(parts[2]))
