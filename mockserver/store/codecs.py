"""The state's dataclasses as JSON-ready values and back, derived from their fields and types.

No class is converted field by field by hand: a new field is kept as soon as it is declared. A
field marked `metadata={"transient": True}` (a timer, a cache) is not kept; one missing from an
older row takes its default.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


def _kept(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("transient")]


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in _kept(type(value))}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    return value


def decode(tp: type[T], data: Any) -> T:
    return typing.cast(T, _decode(tp, data))


def _decode(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        options = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return _decode(options[0], data)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_decode(item, value) for value in data]
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], value) for value in data)
        return tuple(_decode(arg, value) for arg, value in zip(args, data, strict=True))
    if origin is dict:
        _, item = typing.get_args(tp)
        return {key: _decode(item, value) for key, value in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return tp(**{f.name: _decode(hints[f.name], data[f.name]) for f in _kept(tp) if f.name in data})
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp.model_validate(data)
    if tp is bytes:
        return data.encode("utf-8", "surrogateescape")
    if tp is float:
        return float(data)
    return data
