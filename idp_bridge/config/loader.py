"""Loads the TOML config file: resolves secrets, validates, and reports every problem at once."""

from __future__ import annotations

import copy
import difflib
import os
import re
import tomllib
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from idp_bridge.config.model import Config, CrossReferenceErrors, cross_reference_problems
from idp_bridge.config.section import key_path

Loc = tuple[str | int, ...]

_MASK = "'***'"
# Unknown keys are reported with their value; these names are treated as secrets all the same (a typo'd
# `client_secert` holds a real secret).
_SECRET_LOOKING = re.compile(r"secret|passw|token|key|credential", re.IGNORECASE)
_PATTERN_RULES = {
    r"^[a-z0-9][a-z0-9_-]{0,62}$": "must be 1 to 63 lowercase letters, digits, '-' or '_', "
    "starting with a letter or digit",
}
_TYPE_RULES = {
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float", "int_parsing_size"), "must be an integer"),
    **dict.fromkeys(("float_type", "float_parsing", "finite_number"), "must be a number"),
    **dict.fromkeys(("string_type", "string_sub_type", "string_unicode"), "must be a string"),
    **dict.fromkeys(("bool_type", "bool_parsing"), "must be true or false"),
    **dict.fromkeys(("list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"), "must be a list"),
    **dict.fromkeys(("dict_type", "mapping_type", "model_type", "model_attributes_type"), "must be a table"),
}
_UNRESOLVED = "unresolved-secret-stand-in-" + "x" * 40  # in place of a reported secret; the file is refused
_BOUNDS = {"ge": "at least {}", "gt": "more than {}", "le": "at most {}", "lt": "less than {}"}


class ConfigError(Exception):
    """The config file cannot be used. `problems` lists every reason, one `section.key: ...` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read, resolve and validate the TOML file at `path`; raise ConfigError listing every problem.

    A secret (any `SecretStr` option) is a plain string, `{ env = "VAR" }` (read from `environ`, by default
    `os.environ`) or `{ file = "/path" }` (the file's text without its trailing newline; a relative path is
    relative to the config file's directory).
    """
    path = Path(path)
    data = _read_toml(path)
    secrets = _SecretResolver(os.environ if environ is None else environ, path.parent)
    data = secrets.resolve(data)
    found: list[tuple[tuple[int, ...], str]] = [(_walk(loc, data)[0], line) for loc, line in secrets.problems]
    cross: list[str] = []
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        field_errors, model_cross = _field_problems(exc, data, secrets)
        found += field_errors
        # The model's own cross-reference check only runs once every field is valid; otherwise run it here.
        cross = model_cross if model_cross is not None else cross_reference_problems(data)
    else:
        if not found:
            return config
    problems = _ordered(found, cross)
    raise ConfigError([secrets.scrub(line) for line in problems])


def check_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> list[str]:
    """The problems `load_config` would raise, or [] when the file is valid (for `check-config`)."""
    try:
        load_config(path, environ=environ)
    except ConfigError as exc:
        return exc.problems
    return []


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read file ({exc.strerror or exc})"]) from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: TOML syntax error: {exc}"]) from exc


class _SecretResolver:
    """Replaces `{ env = ... }` and `{ file = ... }` secrets by their values; knows where secrets sit."""

    def __init__(self, environ: Mapping[str, str], base: Path) -> None:
        self._environ = environ
        self._base = base
        self.patterns = list(_secret_patterns(Config, ()))
        self.problems: list[tuple[Loc, str]] = []
        self.failed: list[Loc] = []
        self._values: list[str] = []

    def resolve(self, data: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(data)
        for pattern in self.patterns:
            for loc, parent in _find(data, pattern, ()):
                name = loc[-1]
                try:
                    parent[name] = self._value(parent[name])
                except _SecretProblem as problem:
                    self.problems.append((loc, f"{key_path(*loc)}{problem}"))
                    self.failed.append(loc)
                    parent[name] = _UNRESOLVED  # not a hole: the section's other rules still run (and report)
        return data

    def is_secret(self, loc: Loc) -> bool:
        return any(_matches(loc[: len(pattern)], pattern) for pattern in self.patterns)

    def looks_secret(self, name: str | int) -> bool:
        """An unknown key that is probably a secret: `api_token`, or a typo like `client_secert`."""
        name = str(name).lower()
        names = {pattern[-1] for pattern in self.patterns}
        return bool(_SECRET_LOOKING.search(name) or difflib.get_close_matches(name, names, cutoff=0.7))

    def scrub(self, line: str) -> str:
        """Last line of defence: blank out any secret value that still made it into a message."""
        for value in self._values:
            if len(value) >= 8:
                line = line.replace(value, "***")
        return line

    def _value(self, raw: object) -> object:
        if isinstance(raw, str):
            self._values.append(raw)
            return raw
        if not isinstance(raw, dict):
            return raw  # a wrong type: pydantic reports it (masked)
        if len(raw) != 1 or not {"env", "file"} & raw.keys():
            keys = ", ".join(repr(k) for k in raw) or "none"
            raise _SecretProblem(f': must be a string, {{ env = "VAR" }} or {{ file = "/path" }} (got keys {keys})')
        kind, source = next(iter(raw.items()))
        if not isinstance(source, str) or not source:
            raise _SecretProblem(f".{kind}: must be a non-empty string (got {_show(source)})")
        if kind == "env":
            value = self._environ.get(source)
            if value is None:
                raise _SecretProblem(f": environment variable {source!r} is not set")
            if not value:
                raise _SecretProblem(f": environment variable {source!r} is empty")
        else:
            file = str(self._base / Path(source).expanduser())
            try:
                with open(file, encoding="utf-8") as stream:
                    value = stream.read().rstrip("\r\n")
            except OSError as exc:
                raise _SecretProblem(f": cannot read secret file {file!r} ({exc.strerror or exc})") from None
            except UnicodeDecodeError:
                raise _SecretProblem(f": secret file {file!r} is not UTF-8 text") from None
            if not value:
                raise _SecretProblem(f": secret file {file!r} is empty")
        self._values.append(value)
        return value


class _SecretProblem(Exception):
    """A secret that cannot be resolved; the message is the line's text after the key."""


def _secret_patterns(model: type[BaseModel], prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Every place a SecretStr can sit, e.g. ("server", "secret_key"), ("providers", "*", "client_secret")."""
    for name, field in model.model_fields.items():
        for tp in _members(field.annotation):
            if tp is SecretStr:
                yield (*prefix, name)
            elif _is_model(tp):
                yield from _secret_patterns(tp, (*prefix, name))
            elif get_origin(tp) is dict:
                for value_tp in _members(get_args(tp)[1]):
                    if _is_model(value_tp):
                        yield from _secret_patterns(value_tp, (*prefix, name, "*"))


def _find(
    node: object, pattern: tuple[str, ...], prefix: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    if not isinstance(node, dict):
        return
    head, rest = pattern[0], pattern[1:]
    for key in list(node) if head == "*" else [head]:
        if key not in node:
            continue
        if rest:
            yield from _find(node[key], rest, (*prefix, key))
        else:
            yield (*prefix, key), node


def _matches(loc: Loc, pattern: tuple[str, ...]) -> bool:
    return len(loc) == len(pattern) and all(p in ("*", part) for part, p in zip(loc, pattern, strict=True))


def _field_problems(
    exc: ValidationError, data: dict[str, Any], secrets: _SecretResolver
) -> tuple[list[tuple[tuple[int, ...], str]], list[str] | None]:
    """Pydantic's errors as (sort key, line), and the model's cross-reference problems if it got that far."""
    found: list[tuple[tuple[int, ...], str]] = []
    cross: list[str] | None = None
    for error in exc.errors():
        reason = error.get("ctx", {}).get("error")
        if isinstance(reason, CrossReferenceErrors):
            cross = reason.problems
            continue
        error = _untagged(error, data)
        loc = error["loc"]
        if any(loc[: len(failed)] == failed for failed in secrets.failed):
            continue
        if any(_about_failed_secret(error, failed) for failed in secrets.failed):
            continue  # e.g. "give exactly one of client_secret and ...": that secret's own line says why
        message, value, has_value = _explain(error, data)
        order, _ = _walk(loc, data)
        key = key_path(*(part for part in loc if part != "[key]")) or "config"
        if not has_value:
            found.append((order, f"{key}: {message}"))
            continue
        masked = secrets.is_secret(loc) or (error["type"] == "extra_forbidden" and secrets.looks_secret(loc[-1]))
        found.append((order, f"{key}: {message} (got {_MASK if masked else _show(value)})"))
    return found, cross


def _explain(error: ErrorDetails, data: dict[str, Any]) -> tuple[str, object, bool]:
    """(what is wrong, the offending value, whether to show it) for one pydantic error."""
    loc, kind, value = tuple(error["loc"]), error["type"], error["input"]
    ctx = error.get("ctx", {})
    _, field = _walk(loc, data)
    prefix = "name " if loc[-1:] == ("[key]",) else ""
    if kind in ("missing", "union_tag_not_found"):
        return "is required", None, False
    if kind == "union_tag_invalid":
        return f"must be one of {ctx.get('expected_tags')}", value, True
    if kind == "extra_forbidden":
        return "unknown option", value, True
    if kind in _TYPE_RULES:
        return prefix + _TYPE_RULES[kind], value, True
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _range_rule(field, ctx), value, True
    if kind == "literal_error":
        choices = str(ctx.get("expected", "")).rsplit(" or ", 1)
        rule = f"must be {choices[0]}" if len(choices) == 1 else "must be one of " + ", ".join(choices)
        return rule, value, True
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        rule = "must not be empty" if n == 1 else f"must be at least {n} characters"
        return prefix + rule, value, True
    if kind == "string_too_long":
        return prefix + f"must be at most {ctx.get('max_length')} characters", value, True
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return prefix + _PATTERN_RULES.get(pattern, f"must match the pattern {pattern!r}"), value, True
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        # A whole section's value (a model validator's input) may hold secrets: never show a table.
        return str(ctx["error"]), value, not isinstance(value, dict)
    message = error["msg"]
    return prefix + message[:1].lower() + message[1:], value, True


def _range_rule(field: FieldInfo | None, ctx: Mapping[str, Any]) -> str:
    bounds = dict(ctx)
    for item in field.metadata if field else ():
        for name in _BOUNDS:
            if getattr(item, name, None) is not None:
                bounds.setdefault(name, getattr(item, name))
    bounds = {name: _number(value) for name, value in bounds.items() if name in _BOUNDS}
    if "ge" in bounds and "le" in bounds:
        return f"must be between {bounds['ge']} and {bounds['le']}"
    return "must be " + " and ".join(rule.format(bounds[name]) for name, rule in _BOUNDS.items() if name in bounds)


def _number(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _untagged(error: ErrorDetails, data: dict[str, Any]) -> ErrorDetails:
    """An error inside a union chosen by `kind` (providers) without the tag pydantic puts in its location:
    `providers.corp.entra.tenant` is `providers.corp.tenant`; a bad or missing tag is the `kind` key's error."""
    loc = tuple(error["loc"])
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        kind = _child(_child_path(data, loc), "kind")
        return {**error, "loc": (*loc, "kind"), "input": kind}
    for i in range(2, len(loc)):
        node = _child_path(data, loc[:i])
        if isinstance(node, dict) and loc[i] == node.get("kind") and loc[i] not in node:
            return {**error, "loc": loc[:i] + loc[i + 1 :]}
    return error


def _about_failed_secret(error: ErrorDetails, failed: Loc) -> bool:
    """A section-level rule that names a secret the resolver already reported (and removed)."""
    loc = tuple(error["loc"])
    return len(loc) < len(failed) and failed[: len(loc)] == loc and str(failed[-1]) in error["msg"]


def _child_path(node: object, loc: Loc) -> object:
    for part in loc:
        node = _child(node, part)
    return node


def _walk(loc: Loc, data: object) -> tuple[tuple[int, ...], FieldInfo | None]:
    """Follows `loc` through the model and the data: a sort key (model field order, then file order) and the
    FieldInfo of the last part if it names a model field."""
    order: list[int] = []
    field: FieldInfo | None = None
    tp: Any = Config
    node: Any = data
    for part in loc:
        models = [m for m in _members(tp) if _is_model(m)]
        # Of a union chosen by `kind`, the member this entry's kind names (else the first).
        model = next((m for m in models if _kind_matches(m, node)), models[0] if models else None)
        field = None
        if part == "[key]":
            order.append(-1)
            tp = None
        elif model is not None:
            names = list(model.model_fields)
            order.append(names.index(part) if part in names else len(names))
            field = model.model_fields.get(str(part))
            tp = field.annotation if field else None
        elif (mapping := next((m for m in _members(tp) if get_origin(m) is dict), None)) is not None:
            keys = list(node) if isinstance(node, dict) else []
            order.append(keys.index(part) if part in keys else len(keys))
            tp = get_args(mapping)[1]
        else:
            order.append(part if isinstance(part, int) else 0)
            sequence = next((m for m in _members(tp) if get_origin(m) is tuple), None)
            tp = get_args(sequence)[0] if sequence is not None else None
        node = _child(node, part)
    return tuple(order), field


def _child(node: object, part: str | int) -> object:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _members(tp: Any) -> list[Any]:
    """The alternatives of a (possibly Annotated, possibly Optional) type annotation."""
    if get_origin(tp) is Annotated:
        return _members(get_args(tp)[0])
    if get_origin(tp) in (Union, types.UnionType):
        return [m for arg in get_args(tp) for m in _members(arg)]
    return [tp]


def _kind_matches(model: type[BaseModel], node: object) -> bool:
    kind = model.model_fields.get("kind")
    if kind is None or not isinstance(node, dict):
        return False
    return any(get_origin(t) is Literal and node.get("kind") in get_args(t) for t in _members(kind.annotation))


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _ordered(found: list[tuple[tuple[int, ...], str]], cross: list[str]) -> list[str]:
    """Per-field problems in model order (sections, then fields, then file order); each cross-reference
    problem after the per-field ones of its section. Duplicates are dropped."""
    sections = list(Config.model_fields)
    last = (len(sections) + 1,)
    keyed = [(order, 0, line) for order, line in found]
    for line in cross:
        section = re.split(r"[.:\[ ]", line, maxsplit=1)[0]
        keyed.append(((sections.index(section),) if section in sections else last, 1, line))
    keyed.sort(key=lambda item: (item[0][:1], item[1], item[0][1:]))
    return list(dict.fromkeys(line for _, _, line in keyed))


def _show(value: object) -> str:
    """A value as it would read in TOML, quoted: '70000', 'true', 'okta.example', ['a', 'b']."""
    if isinstance(value, bool):
        return repr("true" if value else "false")
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join("{...}" if isinstance(item, dict) else _show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "a table"
    return repr(str(value))
