"""How Store records are kept in SQLite rows: their tables, INSERT statements and column encoding (JSON for
tuples and dicts, 0/1 for flags), worked out once per record class."""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
from typing import TYPE_CHECKING, Any, TypeVar

from idp_bridge.store.records.core import AccessToken, AuditEvent, AuthCode, AuthRequest, LoginFlow, Session

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")

_TABLES: dict[type[Any], str] = {
    AuthRequest: "auth_requests",
    LoginFlow: "login_flows",
    Session: "sessions",
    AuthCode: "codes",
    AccessToken: "access_tokens",
    AuditEvent: "audit_events",
}
_JSON_FIELDS = frozenset({"amr", "flow_state", "detail"})
_BOOL_FIELDS = frozenset({"disabled", "revoked"})


def insert_sql(cls: type[DataclassInstance]) -> str:
    names = [f.name for f in dataclasses.fields(cls)]
    # Table and column names come from the code above, never from input.
    return f"INSERT INTO {_TABLES[cls]} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"  # noqa: S608


INSERTS: dict[type[Any], str] = {cls: insert_sql(cls) for cls in _TABLES}


_PLAIN, _JSON, _AMR, _BOOL = range(4)


@functools.cache
def _layout(cls: type[DataclassInstance]) -> tuple[tuple[str, int], ...]:
    """(field name, how it is stored) for each field of a record class; worked out once per class, as
    dataclasses.fields() is slow enough to show on every login."""

    def kind(name: str) -> int:
        if name == "amr":
            return _AMR
        return _JSON if name in _JSON_FIELDS else _BOOL if name in _BOOL_FIELDS else _PLAIN

    return tuple((f.name, kind(f.name)) for f in dataclasses.fields(cls))


def encode(record: DataclassInstance) -> dict[str, Any]:
    """A record's column values: JSON for tuples and dicts, everything else as is."""
    return {
        name: json.dumps(getattr(record, name)) if how in (_JSON, _AMR) else getattr(record, name)
        for name, how in _layout(type(record))
    }


def decode(cls: type[R], row: sqlite3.Row) -> R:
    """The record of a row; columns that are not fields of the record (redeemed_at) are ignored."""
    values: dict[str, Any] = {}
    for name, how in _layout(cls):
        value = row[name]
        if how == _AMR:
            value = tuple(json.loads(value))
        elif how == _JSON:
            value = json.loads(value)
        elif how == _BOOL:
            value = bool(value)
        values[name] = value
    return cls(**values)
