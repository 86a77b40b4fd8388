"""Signing-key rotation states (idp_bridge/oidc/key_file.py): next -> active -> retired -> removed, each step
refused until it is safe, a file from before the states still read as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from joserfc.jwk import KeySet

from idp_bridge.oidc.key_file import (
    SigningKeyError,
    activate,
    add_key,
    describe,
    generate_key,
    read_key_set,
    remove,
    signer_of,
    write_key_set,
)

T0 = 1_700_000_000.0
PUBLISH, KEEP = 360.0, 720.0


def _states(key_set: KeySet) -> list[tuple[str, str]]:
    return [(info.kid, info.state) for info in describe(key_set, "ES256")]


def _start() -> tuple[KeySet, str]:
    key = generate_key("ES256", T0)
    return KeySet([key]), str(key.kid)


def test_an_added_key_is_published_but_never_signs_until_activated() -> None:
    keys, old = _start()
    keys, new = add_key(keys, "ES256", T0 + 10)
    assert _states(keys) == [(old, "active"), (new, "next")]
    assert signer_of(keys, "ES256").kid == old
    with pytest.raises(SigningKeyError, match="activate it after 350 s more"):
        activate(keys, "ES256", new, T0 + 20, PUBLISH)
    keys = activate(keys, "ES256", new, T0 + 10 + PUBLISH, PUBLISH)
    assert _states(keys) == [(old, "retired"), (new, "active")]
    assert [i.retired_at for i in describe(keys, "ES256")] == [T0 + 10 + PUBLISH, None]


def test_force_activates_at_once() -> None:
    keys, _ = _start()
    keys, new = add_key(keys, "ES256", T0)
    keys = activate(keys, "ES256", new, T0 + 1, PUBLISH, force=True)
    assert signer_of(keys, "ES256").kid == new


def test_a_retired_key_leaves_only_after_its_tokens_expired() -> None:
    keys, old = _start()
    keys, new = add_key(keys, "ES256", T0)
    keys = activate(keys, "ES256", new, T0 + PUBLISH, PUBLISH)
    retired_at = T0 + PUBLISH
    with pytest.raises(SigningKeyError, match="remove it after 700 s more"):
        remove(keys, "ES256", old, retired_at + 20, KEEP)
    keys = remove(keys, "ES256", old, retired_at + KEEP, KEEP)
    assert _states(keys) == [(new, "active")]


@pytest.mark.parametrize(("which", "message"), [("active", "only a retired key"), ("next", "only a retired key")])
def test_the_active_and_a_next_key_cannot_be_removed(which: str, message: str) -> None:
    keys, old = _start()
    keys, new = add_key(keys, "ES256", T0)
    with pytest.raises(SigningKeyError, match=message):
        remove(keys, "ES256", old if which == "active" else new, T0 + 10**6, KEEP, force=True)


def test_unknown_or_already_active_keys_are_refused() -> None:
    keys, old = _start()
    with pytest.raises(SigningKeyError, match="no key 'nope'"):
        activate(keys, "ES256", "nope", T0, PUBLISH)
    with pytest.raises(SigningKeyError, match="already the active key"):
        activate(keys, "ES256", old, T0, PUBLISH)


def test_a_file_from_before_the_states_reads_as_before(tmp_path: Path) -> None:
    legacy = [generate_key("ES256").as_dict(private=True) for _ in range(2)]  # no key_ops, no times
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": legacy}))
    keys = read_key_set(path)
    assert _states(keys) == [(legacy[0]["kid"], "retired"), (legacy[1]["kid"], "active")]
    with pytest.raises(SigningKeyError, match="comes from before rotation states"):
        remove(keys, "ES256", legacy[0]["kid"], T0, KEEP)
    assert _states(remove(keys, "ES256", legacy[0]["kid"], T0, KEEP, force=True)) == [(legacy[1]["kid"], "active")]


def test_the_file_is_rewritten_whole_and_private(tmp_path: Path) -> None:
    keys, _ = _start()
    keys, _ = add_key(keys, "ES256", T0)
    path = tmp_path / "keys.json"
    write_key_set(path, keys)
    assert path.stat().st_mode & 0o777 == 0o600
    assert _states(read_key_set(path)) == _states(keys)
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]


def test_key_ids_never_read_as_a_command_option() -> None:
    # A base64url kid could start with "-" (1 in 64), which `idp-bridge keys activate KID` read as an option.
    kids = [str(generate_key("ES256").kid) for _ in range(200)]
    assert all(kid.isalnum() and kid == kid.lower() for kid in kids) and len(set(kids)) == 200
