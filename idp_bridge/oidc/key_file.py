"""The signing-key file: a JWK set whose keys carry their rotation state, changed by `idp-bridge keys` and rewritten
atomically (mode 0600), so every instance reading it sees a whole file.

States, after Keycloak's active/passive keys and Dex's signing/verification keys:
- next: published in JWKS, never signs (`key_ops: ["verify"]`): added, waiting until every instance publishes it;
- active: signs; the last key allowed to sign (a file from before states has only such keys: its last one signs);
- retired: published, never signs again (`key_ops: ["verify"]` and a `retired_at`), until the tokens it signed
  have expired; only then can it leave the file.
The times live in a private JWK member (`idp_bridge`) that JWKS never publishes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeyParameters, KeySet, RSAKey

STATE_MEMBER = "idp_bridge"
VERIFY_ONLY = ["verify"]
KeyState = Literal["next", "active", "retired"]


class SigningKeyError(Exception):
    """The key file is unreadable, holds no key usable for the configured algorithm, or a rotation step is refused."""


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    algorithm: str
    state: KeyState
    added_at: float | None
    retired_at: float | None


def generate_key(algorithm: str, now: float | None = None, *, signing: bool = True) -> RSAKey | ECKey:
    """A fresh private key; `signing=False` makes it a `next` key (published, not yet signing)."""
    # Hex, never base64url: a kid starting with "-" would read as an option to `idp-bridge keys activate KID`.
    params: dict[str, Any] = {"use": "sig", "alg": algorithm, "kid": secrets.token_hex(9)}
    if not signing:
        params["key_ops"] = VERIFY_ONLY
    if now is not None:
        params[STATE_MEMBER] = {"added_at": now, "retired_at": None}
    typed: KeyParameters = params  # type: ignore[assignment]
    if algorithm == "RS256":
        return RSAKey.generate_key(2048, parameters=typed)
    if algorithm == "ES256":
        return ECKey.generate_key("P-256", parameters=typed)
    raise SigningKeyError(f"unsupported signing algorithm {algorithm!r}")


def _times(key: RSAKey | ECKey | Any) -> dict[str, Any]:
    value = key.get(STATE_MEMBER)
    return value if isinstance(value, dict) else {}


def can_sign(key: RSAKey | ECKey | Any) -> bool:
    ops = key.get("key_ops")
    return key.is_private and (ops is None or "sign" in ops)


def state_of(key: RSAKey | ECKey | Any, signer: Any) -> KeyState:
    if key is signer:
        return "active"
    return "retired" if _times(key).get("retired_at") is not None or can_sign(key) else "next"


def signer_of(key_set: KeySet, algorithm: str) -> Any | None:
    usable = [k for k in key_set.keys if k.get("alg") == algorithm and can_sign(k)]
    return usable[-1] if usable else None


def describe(key_set: KeySet, algorithm: str) -> list[KeyInfo]:
    signer = signer_of(key_set, algorithm)
    return [
        KeyInfo(
            str(k.kid), str(k.get("alg")), state_of(k, signer), _times(k).get("added_at"), _times(k).get("retired_at")
        )
        for k in key_set.keys
    ]


def read_key_set(path: str | Path) -> KeySet:
    file = Path(path)
    try:
        return KeySet.import_key_set(json.loads(file.read_text()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, JoseError) as exc:
        raise SigningKeyError(f"cannot read signing keys from {file}: {exc}") from exc


def write_key_set(path: str | Path, key_set: KeySet) -> None:
    """Replace the file in one rename: an instance reading it at that moment gets the old file or the new one."""
    file = Path(path)
    temp = file.with_name(f".{file.name}.{secrets.token_hex(8)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(key_set.as_dict(private=True), out)
    os.replace(temp, file)


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """One rotation step at a time on this host (a lock file beside the key file)."""
    lock = Path(path).with_name(f".{Path(path).name}.lock")
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _find(key_set: KeySet, kid: str) -> Any:
    for key in key_set.keys:
        if key.kid == kid:
            return key
    raise SigningKeyError(f"no key {kid!r} in the key file")


def _rebuilt(keys: list[Any]) -> KeySet:
    return KeySet.import_key_set({"keys": keys})


def add_key(key_set: KeySet, algorithm: str, now: float) -> tuple[KeySet, str]:
    """A new `next` key at the end of the set; nothing signs differently until it is activated."""
    key = generate_key(algorithm, now, signing=False)
    return _rebuilt([k.as_dict(private=True) for k in key_set.keys] + [key.as_dict(private=True)]), str(key.kid)


def activate(
    key_set: KeySet, algorithm: str, kid: str, now: float, publish_seconds: float, *, force: bool = False
) -> KeySet:
    """`kid` signs from now on; the key that signed until now is retired (still published). Refused until `kid`
    has been in the file `publish_seconds`: long enough for every instance to reload the file and every portal's
    cached JWKS to expire, so no token is signed with a key some verifier has not seen."""
    chosen, signer = _find(key_set, kid), signer_of(key_set, algorithm)
    if chosen is signer:
        raise SigningKeyError(f"key {kid!r} is already the active key")
    if chosen.get("alg") != algorithm:
        raise SigningKeyError(f"key {kid!r} is {chosen.get('alg')}, the bridge signs with {algorithm}")
    added = _times(chosen).get("added_at")
    if not force and added is not None and now < added + publish_seconds:
        raise SigningKeyError(
            f"key {kid!r} was added {int(now - added)} s ago; activate it after {int(added + publish_seconds - now)} "
            f"s more, when every instance and portal has seen it (or use --force)"
        )
    keys = []
    for key in key_set.keys:
        data: dict[str, Any] = dict(key.as_dict(private=True))
        times = dict(_times(key))
        if key is chosen:
            data.pop("key_ops", None)
            times["retired_at"] = None
        elif can_sign(key):
            data["key_ops"] = VERIFY_ONLY
            times["retired_at"] = now
        data[STATE_MEMBER] = {"added_at": times.get("added_at"), "retired_at": times.get("retired_at")}
        keys.append(data)
    return _rebuilt(keys)


def remove(
    key_set: KeySet, algorithm: str, kid: str, now: float, keep_seconds: float, *, force: bool = False
) -> KeySet:
    """`kid` leaves the file (and JWKS): only a retired key, and only once every token it signed has expired."""
    key = _find(key_set, kid)
    state = state_of(key, signer_of(key_set, algorithm))
    if state != "retired":
        raise SigningKeyError(f"key {kid!r} is {state}: only a retired key can be removed")
    retired = _times(key).get("retired_at")
    if not force and retired is None:
        raise SigningKeyError(
            f"key {kid!r} comes from before rotation states: when it last signed is not known; remove it with --force "
            f"once its tokens have expired"
        )
    if not force and retired is not None and now < retired + keep_seconds:
        raise SigningKeyError(
            f"key {kid!r} signed tokens until {int(now - retired)} s ago; remove it after "
            f"{int(retired + keep_seconds - now)} s more, when they have expired (or use --force)"
        )
    return _rebuilt([k.as_dict(private=True) for k in key_set.keys if k is not key])
