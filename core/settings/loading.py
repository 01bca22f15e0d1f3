"""Loading the settings: :func:`load_settings` reads the TOML file and the ``SIGAP_...``
environment variables and reports every problem at once (unknown keys and variables with
the closest valid one, values out of range) in one :class:`~core.errors.ConfigError`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.settings.model import _TOML_PATH, Settings
from core.settings.schema import _all_paths, _allowed, _closest, _is_secret, _number

ENV_PREFIX = "SIGAP_"
#: ``SIGAP_...`` environment variables that are not settings (every other one must name a
#: setting): the settings file's path, and the variables of ``infra/server.sh`` (the
#: installation folder, its log folder, the programs it starts, the report server switch
#: and the notification block), which its server and worker processes inherit
NOT_SETTINGS = (
    "SIGAP_CONFIG",
    "SIGAP_HOME",
    "SIGAP_LOG_DIR",
    "SIGAP_BIN",
    "SIGAP_PYTHON",
    "SIGAP_FILES_SERVER",
    "SIGAP_NOTIFY_BLOCK",
)


def load_settings(config: Path | str | None = None, **overrides: Any) -> Settings:
    """Settings from ``config`` (a TOML file), else ``$SIGAP_CONFIG``, else ``./sigap.toml``
    when it exists; environment variables override the file, ``overrides`` override all.

    Raises :class:`~core.errors.ConfigError` listing every problem at once: unknown keys
    (with the closest valid key), unknown ``SIGAP_...`` variables, values out of range.
    """
    from core.errors import ConfigError

    path = Path(config) if config else None
    if path is None and os.environ.get("SIGAP_CONFIG"):
        path = Path(os.environ["SIGAP_CONFIG"])
    if path is None and Path("sigap.toml").is_file():
        path = Path("sigap.toml")
    if path is not None and not path.is_file():
        raise ConfigError(f"settings file {path} does not exist")
    where = f" in {path}" if path else ""
    env_problems, env_names = _check_environment(os.environ)
    token = _TOML_PATH.set(path)
    try:
        settings = Settings(**overrides)
        problems: list[str] = []
    except ValidationError as exc:
        settings = None
        problems = _describe_errors(exc, env_names, skip={p for p, _ in env_problems})
    except Exception as exc:  # a TOML syntax error, a malformed JSON value of a variable
        raise ConfigError(f"invalid settings{where}: {exc}") from exc
    finally:
        _TOML_PATH.reset(token)
    problems += [text for _, text in env_problems]
    if problems:
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        listed = "".join(f"\n  - {problem}" for problem in problems)
        raise ConfigError(f"invalid settings{where} ({count}):{listed}")
    return settings


# --- finding and naming problems ----------------------------------------------------------


def _env_name(path: tuple[str, ...]) -> str:
    return ENV_PREFIX + "__".join(p.upper() for p in path)


def _check_environment(
    environ: Mapping[str, str],
) -> tuple[list[tuple[tuple[str, ...], str]], dict[tuple[str, ...], str]]:
    """The ``SIGAP_...`` variables that name no setting (pydantic-settings would ignore
    them): ``([(path, problem)], {path: variable})`` for every variable."""
    valid = {_env_name(p): p for p in _all_paths()}
    problems: list[tuple[tuple[str, ...], str]] = []
    names: dict[tuple[str, ...], str] = {}
    for variable in sorted(environ):
        upper = variable.upper()
        if not upper.startswith(ENV_PREFIX) or upper in NOT_SETTINGS:
            continue
        path = tuple(upper[len(ENV_PREFIX) :].lower().split("__"))
        if upper in valid:
            names[path] = variable
            continue
        # a misspelt name (SIGAP_DATADIR), else a setting's name without its table (SIGAP_QUOTA)
        match = difflib.get_close_matches(upper, list(valid), n=1, cutoff=0.85)
        meant = valid[match[0]] if match else _closest(path)
        hint = f"did you mean {_env_name(meant)}?" if meant else "no setting has that name"
        problem = (
            f"unknown setting {variable} ({hint}): every {ENV_PREFIX} environment variable "
            f"but {', '.join(NOT_SETTINGS)} names a setting"
        )
        problems.append((path, problem))
    return problems, names


_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _describe_errors(
    exc: ValidationError, env_names: dict[tuple[str, ...], str], skip: set[tuple[str, ...]]
) -> list[str]:
    """One line per problem pydantic found, named by the setting's dotted key."""
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        loc = tuple(str(part) for part in error["loc"])
        if error["type"] == "literal_error" and loc[-1:] == ("[key]",):  # a dict's key
            loc, kind = loc[:-1], "extra_forbidden"
        else:
            kind = error["type"]
        dotted = ".".join(loc)
        if kind == "extra_forbidden":
            if loc in skip:  # reported as an unknown variable
                continue
            meant = _closest(loc)
            hint = f"did you mean {'.'.join(meant)}?" if meant else "no setting has that name"
            problems.append(f"unknown setting {dotted} ({hint})")
            continue
        source = f" (from {env_names[loc]})" if loc in env_names else ""
        value = error.get("input")
        shown = (
            isinstance(value, (bool, int, float, str))
            and not _is_secret(loc)
            and len(str(value)) <= 200
        )
        if kind in _RANGE_ERRORS or kind == "finite_number":
            allowed = _allowed(loc)
            finite = "a finite number " if kind == "finite_number" else ""
            if allowed and shown:
                problems.append(f"{dotted} is {_number(value)}: must be {finite}{allowed}{source}")
                continue
        message = str(error["msg"]).removeprefix("Value error, ")
        if kind == "value_error":  # a table's own check names its keys
            problems.append(f"{message}{source}")
            continue
        got = f" (got {value!r})" if shown else ""
        problems.append(f"{dotted or 'settings'}: {message}{got}{source}")
    return problems
