"""Signing keys: created once (even by racing workers), reloaded, rotated by appending, public JWKS only."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from joserfc.jwk import KeySet

from idp_bridge.oidc.key_file import activate, add_key, read_key_set, write_key_set
from idp_bridge.oidc.signing_keys import SigningKeyError, SigningKeys, generate_key


def _load_kid(path: str) -> str:
    return SigningKeys.load_or_create(path, "ES256").key_id


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_created_once_then_reloaded(tmp_path: Path, algorithm: str) -> None:
    path = tmp_path / "keys.json"
    first = SigningKeys.load_or_create(path, algorithm)
    assert path.stat().st_mode & 0o777 == 0o600
    again = SigningKeys.load_or_create(path, algorithm)
    assert again.key_id == first.key_id
    assert again.verify(first.sign({"x": 1})) == {"x": 1}


def test_jwks_has_no_private_parts(tmp_path: Path) -> None:
    keys = SigningKeys.load_or_create(tmp_path / "k.json", "RS256")
    (published,) = keys.public_jwks()["keys"]
    assert published["kid"] == keys.key_id and published["use"] == "sig" and published["alg"] == "RS256"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & published.keys()


def test_rotation_by_appending_a_key(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    old = SigningKeys.load_or_create(path, "ES256")
    old_token = old.sign({"v": "old"})
    data = json.loads(path.read_text())
    data["keys"].append(generate_key("ES256").as_dict(private=True))
    path.write_text(json.dumps(data))
    rotated = SigningKeys.load_or_create(path, "ES256")
    assert rotated.key_id != old.key_id  # the newest key signs
    assert {k["kid"] for k in rotated.public_jwks()["keys"]} == {old.key_id, rotated.key_id}
    assert rotated.verify(old_token) == {"v": "old"}  # tokens signed before rotation still verify
    header = KeySet.import_key_set(rotated.public_jwks())
    assert len(header.keys) == 2


@pytest.mark.parametrize(
    ("content", "algorithm"),
    [("not json", "RS256"), ('{"keys": []}', "RS256"), ('{"keys": "x"}', "ES256")],
)
def test_unusable_key_files_are_a_clear_error(tmp_path: Path, content: str, algorithm: str) -> None:
    path = tmp_path / "k.json"
    path.write_text(content)
    with pytest.raises(SigningKeyError):
        SigningKeys.load_or_create(path, algorithm)


def test_a_file_without_a_key_for_the_algorithm_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    SigningKeys.load_or_create(path, "ES256")
    with pytest.raises(SigningKeyError, match="no private RS256 key"):
        SigningKeys.load_or_create(path, "RS256")


def test_racing_workers_agree_on_one_key(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.json")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        kids = pool.map(_load_kid, [path] * 8)
    assert len(set(kids)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.json"]  # no temp files left behind


def test_a_changed_key_file_is_reloaded_at_most_every_reload_seconds(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    SigningKeys.load_or_create(path, "ES256")
    clock = [0.0]
    keys = SigningKeys(read_key_set(path), "ES256", path=path, reload_seconds=60, monotonic=lambda: clock[0])
    old = keys.key_id
    rotated, new = add_key(read_key_set(path), "ES256", 1.0)
    write_key_set(path, rotated)
    clock[0] = 59.0
    assert {k["kid"] for k in keys.public_jwks()["keys"]} == {old}  # not looked at yet
    clock[0] = 60.0
    published = keys.public_jwks()["keys"]
    assert {k["kid"] for k in published} == {old, new} and keys.key_id == old  # published, not signing
    assert all("key_ops" not in k and "idp_bridge" not in k for k in published)
    write_key_set(path, activate(read_key_set(path), "ES256", new, 2.0, 0))
    clock[0] = 120.0
    token = keys.sign({"v": 1})
    assert keys.key_id == new and keys.verify(token) == {"v": 1}
    path.write_text("{not json")  # a half-written edit: the keys in use stay
    clock[0] = 180.0
    assert keys.sign({"v": 2}) and keys.key_id == new
