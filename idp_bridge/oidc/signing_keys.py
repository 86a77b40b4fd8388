"""The bridge's own signing keys: loaded from (or created in) a JWK-set file, published as JWKS, and reloaded when
the file changes, so a rotation step made with `idp-bridge keys` reaches every instance reading that file.

The active key signs; `next` and `retired` keys are published but never sign (oidc.key_file has the states and the
rotation steps). A file from before the states: its last key signs, every key is published.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet

from idp_bridge.oidc.key_file import STATE_MEMBER, SigningKeyError, generate_key, read_key_set, signer_of

JWKS_MAX_AGE_SECONDS = 300
"""How long portals may cache /jwks (its Cache-Control): a new key must be published at least this long before it
signs, and a retired one stay published this long after its last token expired."""

RELOAD_SECONDS = 60.0
"""How often, at most, an instance looks whether the key file changed ([signing] reload_seconds)."""

_log = logging.getLogger("idp_bridge.oidc")

__all__ = ["JWKS_MAX_AGE_SECONDS", "RELOAD_SECONDS", "SigningKeyError", "SigningKeys", "generate_key"]


class SigningKeys:
    def __init__(
        self,
        key_set: KeySet,
        algorithm: str,
        *,
        path: str | Path | None = None,
        reload_seconds: float = RELOAD_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._algorithm = algorithm
        self._install(key_set)
        self._path = Path(path) if path is not None else None
        self._reload_seconds = reload_seconds
        self._monotonic = monotonic
        self._checked_at = monotonic()
        self._seen = self._file_version()

    def _install(self, key_set: KeySet) -> None:
        signer = signer_of(key_set, self._algorithm)
        if signer is None:
            raise SigningKeyError(f"no private {self._algorithm} key allowed to sign in the signing key set")
        public = key_set.as_dict(private=False)
        for key in public["keys"]:
            # Portals verify with these: no private member, and no key_ops that a verifier could read as "not for
            # verifying" (a next or retired key's ["verify"] is the bridge's own bookkeeping).
            key.pop(STATE_MEMBER, None)
            key.pop("key_ops", None)
        self._signing_key, self._key_set, self._public = signer, key_set, public

    def _file_version(self) -> tuple[int, int] | None:
        if self._path is None:
            return None
        try:
            stat = self._path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def refresh(self) -> None:
        """Reload the key file when it changed, looking at most every `reload_seconds`. A file that does not read
        keeps the keys in use (logged): a half-finished edit must not stop the bridge from signing."""
        if self._path is None or self._monotonic() - self._checked_at < self._reload_seconds:
            return
        self._checked_at = self._monotonic()
        version = self._file_version()
        if version is None or version == self._seen:
            return
        try:
            self._install(read_key_set(self._path))
        except SigningKeyError as exc:
            _log.error("signing key file changed but was not loaded, keeping the keys in use: %s", exc)
            return
        self._seen = version
        _log.info("signing keys reloaded from %s: %s signs", self._path, self.key_id)

    @property
    def algorithm(self) -> str:
        return self._algorithm

    @property
    def key_id(self) -> str:
        return str(self._signing_key.kid)

    @classmethod
    def load_or_create(cls, path: str | Path, algorithm: str, reload_seconds: float = RELOAD_SECONDS) -> SigningKeys:
        """Read the key file; create it (mode 0600) with one fresh key when it does not exist."""
        file = Path(path)
        if not file.exists():
            key_set = KeySet([generate_key(algorithm, time.time())])
            file.parent.mkdir(parents=True, exist_ok=True)
            # Written to a private temp file, then linked into place: with several workers starting at once,
            # exactly one key set wins and nobody ever reads a half-written file.
            temp = file.with_name(f".{file.name}.{secrets.token_hex(8)}")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(key_set.as_dict(private=True), out)
            try:
                os.link(temp, file)
                return cls(key_set, algorithm, path=file, reload_seconds=reload_seconds)
            except FileExistsError:
                pass  # another worker created it first: use theirs
            finally:
                temp.unlink()
        return cls(read_key_set(file), algorithm, path=file, reload_seconds=reload_seconds)

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        self.refresh()
        header = {"alg": self._algorithm, "kid": self.key_id, "typ": typ}
        return jwt.encode(header, claims, self._signing_key, algorithms=[self._algorithm])

    def public_jwks(self) -> dict[str, Any]:
        self.refresh()
        return dict(self._public)

    def verify(self, token: str) -> dict[str, Any]:
        """Signature check only (claims are the caller's business); raises joserfc errors when invalid."""
        decoded = jwt.decode(token, self._key_set, algorithms=[self._algorithm])
        return dict(decoded.claims)
