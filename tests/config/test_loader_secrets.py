"""Tests for idp_bridge/config/loader.py: secrets from the environment and from files, never shown in errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp_bridge.config.loader import ConfigError, load_config
from tests.config.loader_harness import CORP_SECRET, SERVER_SECRET, WIKI_SECRET, edited, problems_for, write


def test_secrets_from_env_and_file(tmp_path: Path) -> None:
    (tmp_path / "wiki.secret").write_text(WIKI_SECRET + "\n", encoding="utf-8")
    absolute = tmp_path / "corp.secret"
    absolute.write_text(CORP_SECRET + "\r\n", encoding="utf-8")
    edits = {
        "server.secret_key": {"env": "IDP_TEST_SECRET_KEY"},
        "providers.corp.client_secret": {"file": str(absolute)},
        "portals.wiki.client_secret": {"file": "wiki.secret"},  # relative to the config file
    }
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    (config_dir / "wiki.secret").write_text(WIKI_SECRET + "\n", encoding="utf-8")
    config = load_config(write(config_dir, edited(edits)), environ={"IDP_TEST_SECRET_KEY": SERVER_SECRET})
    assert config.server.secret_key.get_secret_value() == SERVER_SECRET
    assert config.providers["corp"].client_secret is not None
    assert config.providers["corp"].client_secret.get_secret_value() == CORP_SECRET
    assert config.portals["wiki"].client_secret is not None
    assert config.portals["wiki"].client_secret.get_secret_value() == WIKI_SECRET


def test_env_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDP_TEST_SECRET_KEY", SERVER_SECRET)
    path = write(tmp_path, edited({"server.secret_key": {"env": "IDP_TEST_SECRET_KEY"}}))
    assert load_config(path).server.secret_key.get_secret_value() == SERVER_SECRET


SECRET_MISTAKES: list[tuple[str, dict[str, object], str]] = [
    (
        "missing env var",
        {"server.secret_key": {"env": "IDP_TEST_MISSING"}},
        "server.secret_key: environment variable 'IDP_TEST_MISSING' is not set",
    ),
    (
        "empty env var",
        {"providers.corp.client_secret": {"env": "IDP_TEST_EMPTY"}},
        "providers.corp.client_secret: environment variable 'IDP_TEST_EMPTY' is empty",
    ),
    (
        "missing file",
        {"portals.wiki.client_secret": {"file": "missing.secret"}},
        "portals.wiki.client_secret: cannot read secret file '{dir}/missing.secret' (No such file or directory)",
    ),
    (
        "empty file",
        {"portals.wiki.client_secret": {"file": "empty.secret"}},
        "portals.wiki.client_secret: secret file '{dir}/empty.secret' is empty",
    ),
    (
        "both env and file",
        {"server.secret_key": {"env": "X", "file": "y"}},
        "server.secret_key: must be a string, { env = \"VAR\" } or { file = \"/path\" } (got keys 'env', 'file')",
    ),
    (
        "unknown source",
        {"server.secret_key": {"value": SERVER_SECRET}},
        'server.secret_key: must be a string, { env = "VAR" } or { file = "/path" } (got keys \'value\')',
    ),
    (
        "empty env name",
        {"server.secret_key": {"env": ""}},
        "server.secret_key.env: must be a non-empty string (got '')",
    ),
]


@pytest.mark.parametrize(
    ("edits", "expected"),
    [(edits, expected) for _, edits, expected in SECRET_MISTAKES],
    ids=[c[0] for c in SECRET_MISTAKES],
)
def test_secret_mistakes(tmp_path: Path, edits: dict[str, object], expected: str) -> None:
    (tmp_path / "empty.secret").write_text("\n", encoding="utf-8")
    assert problems_for(tmp_path, edits, environ={"IDP_TEST_EMPTY": ""}) == [expected.replace("{dir}", str(tmp_path))]


def test_secret_problems_sit_with_the_other_lines(tmp_path: Path) -> None:
    edits = {"server.secret_key": {"env": "IDP_TEST_MISSING"}, "server.port": 0, "server.dev_mode": 1.5}
    assert problems_for(tmp_path, edits) == [
        "server.port: must be between 1 and 65535 (got '0')",
        "server.dev_mode: must be true or false (got '1.5')",
        "server.secret_key: environment variable 'IDP_TEST_MISSING' is not set",
    ]


def test_a_secret_never_appears_in_any_error_output(tmp_path: Path) -> None:
    short_secret = "hunter2-hunter2-hunter2"  # too short for secret_key, so it fails validation
    edits: dict[str, object] = {
        "server.secret_key": {"env": "IDP_TEST_SECRET_KEY"},
        "server.client_secert": CORP_SECRET,  # a typo'd secret option
        "server.api_token": WIKI_SECRET,
        "providers.corp.client_secret": 424242424242,
        "portals.wiki.client_secret": [WIKI_SECRET],
        "portals.wiki.password": WIKI_SECRET,
        "server.port": 0,
    }
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, edited(edits)), environ={"IDP_TEST_SECRET_KEY": short_secret})
    output = "\n".join([str(caught.value), repr(caught.value), *caught.value.problems])
    for secret in (short_secret, CORP_SECRET, WIKI_SECRET, "424242424242"):
        assert secret not in output
    assert "server.secret_key: must be at least 32 characters (got '***')" in caught.value.problems
    assert "server.client_secert: unknown option (got '***')" in caught.value.problems
    assert len(caught.value.problems) == 7
