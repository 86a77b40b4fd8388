"""Secrets at rest: AES-256-GCM for TOTP secrets, and keyed hashes (HMAC-SHA256) for recovery and one-time codes.

The key is `mfa.encryption_key`, or, when unset, derived from `server.secret_key`; either way HKDF-SHA256 derives
separate sub-keys for encryption and hashing. A sealed value reads `v1.<key id>.<base64url(nonce | ciphertext)>`,
bound to its context (the user id) as associated data, so a value copied to another user's row does not open.
Rotation: the previous key still opens old values (`needs_reseal` says so, and callers re-encrypt them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"


class SecretBoxError(Exception):
    """A sealed value that does not open (wrong key, tampered, another user's); never shows the value."""


def _derive(material: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"idp-bridge mfa " + purpose).derive(material)


class _Key:
    def __init__(self, material: str) -> None:
        raw = material.encode()
        self.aead = AESGCM(_derive(raw, b"secret box v1"))
        self.pepper = _derive(raw, b"code hash v1")
        self.kid = hashlib.sha256(_derive(raw, b"key id v1")).hexdigest()[:8]


class SecretBox:
    def __init__(self, key: str, previous: str | None = None) -> None:
        self._key = _Key(key)
        self._previous = _Key(previous) if previous else None

    @classmethod
    def from_settings(cls, encryption_key: str | None, previous: str | None, server_secret: str) -> SecretBox:
        # Without its own key, the MFA box derives one from the cookie-signing secret (HKDF separates the two uses).
        return cls(encryption_key or "server.secret_key:" + server_secret, previous)

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._key.aead.encrypt(nonce, plaintext.encode(), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        return f"{_VERSION}.{self._key.kid}.{body}"

    def open(self, token: str, context: str) -> tuple[str, bool]:
        """(plaintext, needs_reseal): the second is True when an older key opened it."""
        version, _, rest = token.partition(".")
        kid, _, body = rest.partition(".")
        keys = [k for k in (self._key, self._previous) if k is not None and k.kid == kid]
        if version != _VERSION or not keys:
            raise SecretBoxError("sealed with an unknown key")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plaintext = keys[0].aead.decrypt(raw[:12], raw[12:], context.encode())
        except (InvalidTag, ValueError) as exc:
            raise SecretBoxError("does not open") from exc
        return plaintext.decode(), keys[0] is not self._key

    def keyed_hash(self, *parts: str) -> str:
        """HMAC-SHA256 with the current key's pepper over the parts (unambiguously joined)."""
        message = "\x1f".join(parts).encode()
        return hmac.new(self._key.pepper, message, hashlib.sha256).hexdigest()
