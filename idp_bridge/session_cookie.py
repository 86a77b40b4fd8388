"""The browser's session cookie: an opaque random token, HMAC-signed, pointing at a store record."""

from __future__ import annotations

import hashlib
import secrets

from itsdangerous import BadSignature, Signer
from starlette.requests import Request
from starlette.responses import Response


class SessionCookie:
    """Signs and reads the session cookie. The signature lets forged values be refused without a store read;
    the token itself is what the store knows (by hash)."""

    def __init__(self, secret_key: str, name: str, *, secure: bool) -> None:
        self._signer = Signer(secret_key, salt="idp-bridge.session", digest_method=hashlib.sha256)
        self.name = name
        self._secure = secure

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    def read(self, request: Request) -> str | None:
        raw = request.cookies.get(self.name)
        if not raw or len(raw) > 256:
            return None
        try:
            return self._signer.unsign(raw).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    def set(self, response: Response, token: str, max_age: int) -> None:
        response.set_cookie(
            self.name,
            self._signer.sign(token).decode(),
            max_age=max_age,
            httponly=True,
            secure=self._secure,
            samesite="lax",
            path="/",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path="/", httponly=True, secure=self._secure, samesite="lax")
