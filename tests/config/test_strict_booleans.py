"""Every boolean option of the config model is strict: a future `flag: bool` would take "yes" and 1 as true."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from idp_bridge.config.model import Config


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    seen.add(model)
    for field in model.model_fields.values():
        for tp in _members(field.annotation):
            if isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in seen:
                _models(tp, seen)
    return seen


def _members(tp: Any) -> list[Any]:
    if get_origin(tp) in (Union, types.UnionType, tuple, list, dict) or hasattr(tp, "__metadata__"):
        return [m for arg in get_args(tp) for m in _members(arg)]
    return [tp]


def _lax_bool(tp: Any) -> bool:
    if tp is bool:
        return True
    if hasattr(tp, "__metadata__"):  # Annotated[bool, Strict()] is StrictBool
        return not any(getattr(m, "strict", False) for m in tp.__metadata__) and _lax_bool(get_args(tp)[0])
    return get_origin(tp) in (Union, types.UnionType) and any(_lax_bool(m) for m in get_args(tp))


def test_no_config_option_is_a_lax_bool() -> None:
    lax = [
        f"{model.__name__}.{name}"
        for model in _models(Config, set())
        for name, field in model.model_fields.items()
        if _lax_bool(field.annotation) and not any(getattr(m, "strict", False) for m in field.metadata)
    ]
    assert lax == []
    assert len(_models(Config, set())) > 10  # the walk reaches the nested sections
