"""Walking the settings' schema: the keys each table takes, the type at a path of keys,
every path, the valid key closest to an unknown one, and a setting's allowed values in
words. Used to name problems (:mod:`core.settings.loading`) and to render the settings
table (:mod:`core.settings.rendering`).
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import BaseModel

from core.settings.model import Settings


def _node(annotation: Any) -> Any:
    """A field's type with ``Annotated`` and ``None`` taken off (``X | None`` -> ``X``)."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _node(members[0])
    return annotation


def _children(node: Any) -> dict[str, Any] | None:
    """The keys a table takes and the type under each; ``None`` for a plain value."""
    if isinstance(node, type) and issubclass(node, BaseModel):
        return {name: _node(f.annotation) for name, f in node.model_fields.items()}
    if typing.get_origin(node) is dict:
        key, value = typing.get_args(node)
        if typing.get_origin(key) is Literal:
            return {str(k): _node(value) for k in typing.get_args(key)}
    return None


def _resolve(path: tuple[str, ...]) -> Any:
    """The type at a path of keys (``None`` when no setting has that path)."""
    node: Any = Settings
    for part in path:
        children = _children(node)
        if children is None or part not in children:
            return None
        node = children[part]
    return node


def _all_paths() -> list[tuple[str, ...]]:
    """Every table and setting, as paths of keys (``("rules", "quota")``)."""
    out: list[tuple[str, ...]] = []

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        for name, child in (_children(node) or {}).items():
            out.append((*prefix, name))
            walk(child, (*prefix, name))

    walk(Settings, ())
    return out


def _closest(path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The valid key closest to an unknown one: a sibling spelt alike, else a key of that
    name (or spelt alike) in another table."""
    siblings = _children(_resolve(path[:-1])) or {}
    match = difflib.get_close_matches(path[-1], list(siblings), n=1, cutoff=0.6)
    if match:
        return (*path[:-1], match[0])
    by_name: dict[str, tuple[str, ...]] = {}
    for candidate in _all_paths():
        by_name.setdefault(candidate[-1], candidate)
    match = difflib.get_close_matches(path[-1], list(by_name), n=1, cutoff=0.8)
    return by_name[match[0]] if match else None


def _field_info(path: tuple[str, ...]) -> Any:
    """The ``FieldInfo`` of a model field at ``path`` (the value type's metadata for the
    keys of a dict), or ``None``."""
    if not path:
        return None
    parent = _resolve(path[:-1])
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        return parent.model_fields.get(path[-1])
    if typing.get_origin(parent) is dict:
        value = typing.get_args(parent)[1]
        if typing.get_origin(value) is Annotated:
            return typing.get_args(value)[1]
    return None


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _allowed(path: tuple[str, ...]) -> str | None:
    """The allowed values of a setting in words: ``from 1 to 10``, ``at least 0``..."""
    info = _field_info(path)
    low = high = None
    for item in getattr(info, "metadata", ()):
        if isinstance(item, annotated_types.Ge):
            low = ("ge", item.ge)
        elif isinstance(item, annotated_types.Gt):
            low = ("gt", item.gt)
        elif isinstance(item, annotated_types.Le):
            high = ("le", item.le)
        elif isinstance(item, annotated_types.Lt):
            high = ("lt", item.lt)
    if low and high and low[0] == "ge" and high[0] == "le":
        return f"from {_number(low[1])} to {_number(high[1])}"
    words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    parts = [f"{words[bound[0]]} {_number(bound[1])}" for bound in (low, high) if bound]
    return " and ".join(parts) or None


def _is_secret(path: tuple[str, ...]) -> bool:
    info = _field_info(path)
    return info is not None and "SecretStr" in str(info.annotation)
