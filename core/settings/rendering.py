"""Rendering the settings: as a TOML file that :func:`core.settings.load_settings` reads
back (:func:`to_toml`), and as the README's settings table, every setting with its
environment variable, default, allowed values and description
(:func:`settings_markdown_table`, ``sigap settings table``).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, SecretStr

from core.settings.model import Settings
from core.settings.schema import _allowed, _children, _node
from core.settings.tables import SftpEndpoint


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, time):
        return f'"{value.strftime("%H:%M")}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def to_toml(
    settings: Settings, *, include_secrets: bool = False, shown: Mapping[str, str] | None = None
) -> str:
    """Render settings as a TOML file that ``load_settings`` reads back.

    Secret fields (``SecretStr``) are left out unless ``include_secrets``: pass them through
    ``SIGAP_...`` environment variables instead of writing them to disk. ``shown`` gives
    the text to write for a secret field left out, by dotted key (``sigap settings show``
    shows ``database.url`` with its password masked); the field is written even when it
    is unset.
    """
    shown = dict(shown or {})

    def plain(value: Any, path: tuple[str, ...] = ()) -> Any:
        if isinstance(value, BaseModel):
            out = {}
            for name, field in type(value).model_fields.items():
                item = getattr(value, name)
                key = ".".join((*path, name))
                if key in shown and not include_secrets and "SecretStr" in str(field.annotation):
                    out[name] = shown[key]
                    continue
                if item is None:
                    continue
                if isinstance(item, SecretStr):
                    if not include_secrets:
                        continue
                    item = item.get_secret_value()
                out[name] = plain(item, (*path, name))
            return out
        if isinstance(value, dict):
            return {str(k): plain(v, (*path, str(k))) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v, path) for v in value]
        if isinstance(value, Path):
            return str(value)
        return value

    def emit(table: dict[str, Any], prefix: str) -> list[str]:
        scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict)]
        tables = [(k, v) for k, v in table.items() if isinstance(v, dict)]
        lines: list[str] = []
        if prefix and scalars:
            lines.append(f"\n[{prefix}]")
        for key, value in scalars:
            lines.append(f"{key} = {_toml_value(value)}")
        for key, value in tables:
            if not value:
                continue
            lines.extend(emit(value, f"{prefix}.{key}" if prefix else key))
        return lines

    return "\n".join(emit(plain(settings), "")).lstrip() + "\n"


def _allowed_values(path: tuple[str, ...], annotation: Any) -> str:
    """The allowed-values cell of the settings table."""
    node = _node(annotation)
    if typing.get_origin(node) is Literal:
        return ", ".join(f"`{v}`" for v in typing.get_args(node))
    keys = _children(node)
    if keys is not None:  # a dict with fixed keys
        values = _allowed((*path, next(iter(keys))))
        return f"keys {', '.join(f'`{k}`' for k in keys)}" + (f"; values {values}" if values else "")
    return _allowed(path) or ""


def settings_markdown_table() -> str:
    """Every setting with its environment variable, default, allowed values and
    description (the README's settings table is generated from this: ``sigap settings
    table``)."""
    from pydantic_core import PydanticUndefined

    rows = [
        "| setting (TOML) | environment variable | default | allowed | description |",
        "|---|---|---|---|---|",
    ]

    def default_of(field) -> str:
        if field.default is not PydanticUndefined:
            value = field.default
        elif field.default_factory is not None:
            value = field.default_factory()
        else:
            return ""
        if isinstance(value, BaseModel):
            return ""
        return "" if value is None else f"`{value}`"

    def walk(model: type[BaseModel], prefix: list[str]) -> None:
        for name, field in model.model_fields.items():
            path = prefix + [name]
            annotation = field.annotation
            nested = None
            for candidate in getattr(annotation, "__args__", ()) or (annotation,):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    nested = candidate
            if nested is not None and name in ("dukcapil", "dtsen", "bpjstk", "verifikasi", "outbound"):
                rows.append(
                    f"| `{'.'.join(path)}.*` | `SIGAP_{'__'.join(p.upper() for p in path)}__*` | | | "
                    f"{field.description or ''}: the fields of an SFTP endpoint below |"
                )
                continue
            if nested is not None:
                walk(nested, path)
                continue
            env = "SIGAP_" + "__".join(p.upper() for p in path)
            allowed = _allowed_values(tuple(path), annotation)
            rows.append(
                f"| `{'.'.join(path)}` | `{env}` | {default_of(field)} | {allowed} | {field.description or ''} |"
            )

    walk(Settings, [])
    rows.append("| | | | | **An SFTP endpoint** (`sources.dukcapil`, `sources.dtsen`, `sources.bpjstk`, `sources.verifikasi`, `sources.outbound`): |")
    for name, field in SftpEndpoint.model_fields.items():
        allowed = _allowed_values(("sources", "dukcapil", name), field.annotation)
        rows.append(
            f"| `sources.<source>.{name}` | `SIGAP_SOURCES__<SOURCE>__{name.upper()}` | {default_of(field)} | {allowed} | {field.description or ''} |"
        )
    return "\n".join(rows)
