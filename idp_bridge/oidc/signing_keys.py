"""The bridge's own signing keys: loaded from (or created in) a JWK-set file, published as JWKS.

The newest key (last in the file) signs; every key in the file stays published, so adding a key to the end of
the file rotates without invalidating tokens signed by the previous one.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeyParameters, KeySet, RSAKey


class SigningKeyError(Exception):
    """The key file is unreadable or holds no key usable for the configured algorithm."""


class SigningKeys:
    def __init__(self, key_set: KeySet, algorithm: str) -> None:
        usable = [k for k in key_set.keys if k.get("alg") == algorithm and k.is_private]
        if not usable:
            raise SigningKeyError(f"no private {algorithm} key in the signing key set")
        self._algorithm = algorithm
        self._signing_key = usable[-1]
        self._key_set = key_set
        self._public = key_set.as_dict(private=False)

    @property
    def algorithm(self) -> str:
        return self._algorithm

    @property
    def key_id(self) -> str:
        return str(self._signing_key.kid)

    @classmethod
    def load_or_create(cls, path: str | Path, algorithm: str) -> SigningKeys:
        """Read the key file; create it (mode 0600) with one fresh key when it does not exist."""
        file = Path(path)
        if not file.exists():
            key_set = KeySet([generate_key(algorithm)])
            file.parent.mkdir(parents=True, exist_ok=True)
            # Written to a private temp file, then linked into place: with several workers starting at once,
            # exactly one key set wins and nobody ever reads a half-written file.
            temp = file.with_name(f".{file.name}.{secrets.token_hex(8)}")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(key_set.as_dict(private=True), out)
            try:
                os.link(temp, file)
                return cls(key_set, algorithm)
            except FileExistsError:
                pass  # another worker created it first: use theirs
            finally:
                temp.unlink()
        try:
            data = json.loads(file.read_text())
            key_set = KeySet.import_key_set(data)
            return cls(key_set, algorithm)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, JoseError) as exc:
            raise SigningKeyError(f"cannot read signing keys from {file}: {exc}") from exc

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        header = {"alg": self._algorithm, "kid": self.key_id, "typ": typ}
        return jwt.encode(header, claims, self._signing_key, algorithms=[self._algorithm])

    def public_jwks(self) -> dict[str, Any]:
        return dict(self._public)

    def verify(self, token: str) -> dict[str, Any]:
        """Signature check only (claims are the caller's business); raises joserfc errors when invalid."""
        decoded = jwt.decode(token, self._key_set, algorithms=[self._algorithm])
        return dict(decoded.claims)


def generate_key(algorithm: str) -> RSAKey | ECKey:
    params: KeyParameters = {"use": "sig", "alg": algorithm, "kid": secrets.token_urlsafe(12)}
    if algorithm == "RS256":
        return RSAKey.generate_key(2048, parameters=params)
    if algorithm == "ES256":
        return ECKey.generate_key("P-256", parameters=params)
    raise SigningKeyError(f"unsupported signing algorithm {algorithm!r}")
