"""Tests for config.example.toml: it loads, names its env vars, and shows every option with its default."""

from __future__ import annotations

import re
import tomllib
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from idp_bridge.config.loader import check_config, load_config
from idp_bridge.config.model import Config
from tests.config.entra_credentials import rsa_pair
from tests.config.loader_harness import toml_value

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config.example.toml"


def example_environ() -> dict[str, str]:
    """A value for every `{ env = ... }` the example references."""

    def env_tables(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            if set(node) == {"env"}:
                yield node["env"]
            for value in node.values():
                yield from env_tables(value)

    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    environ = {name: f"example-secret-for-{name}".ljust(40, "x") for name in env_tables(data)}
    # Key material is loaded and checked offline: the Entra certificate credential needs the real thing.
    environ["IDP_BRIDGE_ENTRA_CERT_KEY"], environ["IDP_BRIDGE_ENTRA_CERT"] = rsa_pair()
    return environ


def test_example_loads() -> None:
    environ = example_environ()
    assert environ, "the example shows at least one secret in the { env = ... } form"
    config = load_config(EXAMPLE, environ=environ)
    assert config.server.dev_mode is False
    assert config.server.issuer.startswith("https://")
    assert config.providers["corp"].kind == "oidc"
    assert all(getattr(p, "issuer", "https://").startswith("https://") for p in config.providers.values())
    assert {p.kind for p in config.providers.values()} == {"oidc", "entra", "google", "okta"}
    assert config.portals


def test_example_without_its_env_vars_names_them() -> None:
    assert check_config(EXAMPLE, environ={}) == [
        f"{key}: environment variable {name!r} is not set"
        for key, name in [
            ("server.secret_key", "IDP_BRIDGE_SECRET_KEY"),
            ("providers.corp.client_secret", "IDP_BRIDGE_CORP_CLIENT_SECRET"),
            ("providers.entra.client_secret", "IDP_BRIDGE_ENTRA_CLIENT_SECRET"),
            ("providers.entra-contoso.client_certificate.private_key", "IDP_BRIDGE_ENTRA_CERT_KEY"),
            ("providers.entra-contoso.client_certificate.public_certificate", "IDP_BRIDGE_ENTRA_CERT"),
            ("providers.google.client_secret", "IDP_BRIDGE_GOOGLE_CLIENT_SECRET"),
            ("providers.okta.client_secret", "IDP_BRIDGE_OKTA_CLIENT_SECRET"),
            ("portals.wiki.client_secret", "IDP_BRIDGE_WIKI_CLIENT_SECRET"),
            ("mfa.encryption_key", "IDP_BRIDGE_MFA_KEY"),
            ("mfa.previous_encryption_key", "IDP_BRIDGE_MFA_PREVIOUS_KEY"),
            ("mfa.email.password", "IDP_BRIDGE_SMTP_PASSWORD"),
            ("mfa.sms.auth_header", "IDP_BRIDGE_SMS_AUTH"),
        ]
    ]


def members(tp: Any) -> list[Any]:
    if get_origin(tp) is Annotated:
        return members(get_args(tp)[0])
    if get_origin(tp) in (Union, types.UnionType):
        return [m for arg in get_args(tp) for m in members(arg)]
    return [tp]


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def kind_matches(model: type[BaseModel], entry: Mapping[str, Any]) -> bool:
    """For a union of provider kinds: the entry is of this model's `kind`."""
    kind = model.model_fields.get("kind")
    if kind is None:
        return True
    return any(get_origin(t) is Literal and entry.get("kind") in get_args(t) for t in members(kind.annotation))


def example_fields(model: type[BaseModel], data: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, str, Any]]:
    """(table, key, FieldInfo) of every leaf option, recursing into sections and tables of tables; a field
    missing from `data` is reported as table '!missing'."""
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if name not in data:
            yield "!missing", path, field
            continue
        models = [tp for tp in members(field.annotation) if is_model(tp)]
        mappings = [tp for tp in members(field.annotation) if get_origin(tp) is dict]
        if models:
            yield from example_fields(models[0], data[name], path)
        elif mappings:
            value_models = [tp for tp in members(get_args(mappings[0])[1]) if is_model(tp)]
            for value_model in value_models:
                entries = {k: v for k, v in data[name].items() if kind_matches(value_model, v)}
                if not entries:
                    yield "!missing", f"{path}.* ({value_model.__name__})", field
                # Entries of one kind may show different options (a client secret in one, a certificate in
                # another, when only one is allowed): an option is missing if no entry of the kind shows it.
                missing_in: dict[str, set[str]] = {}
                for key, entry in entries.items():
                    missing_in[key] = set()
                    for table, option, info in example_fields(value_model, entry, f"{path}.{key}"):
                        if table == "!missing":
                            missing_in[key].add(option.removeprefix(f"{path}.{key}."))
                        else:
                            yield table, option, info
                for relative in sorted(set().union(*missing_in.values())):
                    # missing from an entry if it, or the table holding it, is missing there
                    if all(
                        any(relative == m or relative.startswith(m + ".") for m in ms) for ms in missing_in.values()
                    ):
                        yield "!missing", f"{path}.*.{relative} ({value_model.__name__})", field
        else:
            yield prefix, name, field


def example_comments() -> dict[tuple[str, str], str]:
    """The comment block directly above each `key = value` line, by (table, key)."""
    comments: dict[tuple[str, str], str] = {}
    table, block = "", []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped)
            continue
        if header := re.fullmatch(r"\[([^\]]+)\]", stripped):
            table = header.group(1)
        elif key := re.match(r"([A-Za-z0-9_-]+)\s*=", stripped):
            comments[(table, key.group(1))] = "\n".join(block)
        block = []
    return comments


def toml_default(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return toml_value(value)


def test_example_covers_every_option_with_a_comment_and_its_default() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    fields = list(example_fields(Config, data, ""))
    missing = [key for table, key, _ in fields if table == "!missing"]
    assert missing == [], f"config.example.toml lacks {missing}"
    comments = example_comments()
    for table, key, field in fields:
        comment = comments.get((table, key), "")
        assert comment, f"{table}.{key} has no comment line above it"
        if field.is_required():
            assert "Required" in comment, f"{table}.{key}: say it is required"
        elif field.default is None or field.default is PydanticUndefined:
            assert "Default:" in comment, f"{table}.{key}: say what happens when it is omitted"
        else:
            expected = f"Default: {toml_default(field.default)}"
            assert expected in comment, f"{table}.{key}: comment should say {expected!r}"
    assert len(fields) >= 30
