"""Tests for idp_bridge/config/loader.py: a config file that cannot be read or parsed at all."""

from __future__ import annotations

from pathlib import Path

from idp_bridge.config.loader import check_config
from tests.config.loader_harness import write


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    assert check_config(path) == [f"{path}: cannot read file (No such file or directory)"]


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert check_config(tmp_path) == [f"{tmp_path}: cannot read file (Is a directory)"]


def test_toml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = 1\n")
    assert check_config(path) == [
        f"{path}: TOML syntax error: Expected ']' at the end of a table declaration (at line 1, column 8)"
    ]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[server]\nhost = "caf\xe9"\n')
    assert check_config(path) == [f"{path}: not UTF-8 text (invalid continuation byte at byte 20)"]
