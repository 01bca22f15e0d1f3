"""Typed settings: a TOML file plus ``SIGAP_...`` environment overrides.

Precedence (highest first): keyword arguments, environment variables
(``SIGAP_DATABASE__URL``, ``SIGAP_RULES__QUOTA``, ``SIGAP_SOURCES__DUKCAPIL__HOST`` ...),
the TOML file (``--config``, else ``$SIGAP_CONFIG``, else ``./sigap.toml`` when present),
then the defaults below. Nothing is read at import time: call ``load_settings``.

Nothing is silently ignored: an unknown key in any table of the file, and any ``SIGAP_...``
environment variable that names no setting (except ``SIGAP_CONFIG``, ``SIGAP_HOME`` and the
variables of ``infra/server.sh``, which are not settings: :data:`NOT_SETTINGS`), is an error naming the key and the closest
valid one; values are range-checked. ``load_settings`` reports every problem at once in
one :class:`~core.errors.ConfigError`.

Every field has a description: ``sigap settings table`` renders the README's table from
them.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.errors import InvalidInput

_TOML_PATH: ContextVar[Path | None] = ContextVar("sigap_toml_path", default=None)

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
#: the sources with a row-count tolerance (``validation.row_count_tolerance``)
SourceName = Literal["dukcapil", "dtsen", "bpjstk"]


class _Table(BaseModel):
    """A table of the settings: an unknown key is an error (never silently ignored), and
    a float is never NaN or infinite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SftpEndpoint(_Table):
    """One SFTP server (one per source: each agency runs its own)."""

    host: str = Field("127.0.0.1", description="SFTP host name or address")
    port: int = Field(22, ge=1, le=65535, description="SFTP port")
    username: str = Field("sigap", description="SFTP user name")
    private_key_path: Path | None = Field(
        None, description="path to the private key used to log in (key authentication only)"
    )
    private_key_passphrase: SecretStr | None = Field(
        None, description="passphrase of the private key, if it has one"
    )
    known_hosts_path: Path | None = Field(
        None,
        description="pinned known_hosts file holding the server's host key; unknown keys are refused",
    )
    remote_root: str = Field(".", description="remote folder that holds the source's YYYY/MM tree")
    timeout_seconds: float = Field(30.0, gt=0, description="connect and read timeout")
    retries: int = Field(
        3,
        ge=0,
        description="retries after the first attempt on transient network errors, with backoff (the fetch task retries again later, for longer outages)",
    )


class SourcesSettings(_Table):
    kind: Literal["sftp", "local"] = Field(
        "sftp", description="where extracts come from: `sftp` servers or a `local` folder tree"
    )
    local_root: Path | None = Field(
        None, description="with kind=local: the folder holding dukcapil/, dtsen/, bpjstk/ trees"
    )
    dukcapil: SftpEndpoint = Field(
        default_factory=lambda: SftpEndpoint(remote_root="dukcapil"),
        description="Dukcapil's SFTP endpoint",
    )
    dtsen: SftpEndpoint = Field(
        default_factory=lambda: SftpEndpoint(remote_root="dtsen"),
        description="DTSEN's SFTP endpoint",
    )
    bpjstk: SftpEndpoint = Field(
        default_factory=lambda: SftpEndpoint(remote_root="bpjstk"),
        description="BPJS Ketenagakerjaan's SFTP endpoint",
    )
    verifikasi: SftpEndpoint | None = Field(
        None, description="where re-verification results arrive (default: beside Dukcapil's)"
    )
    outbound: SftpEndpoint | None = Field(
        None, description="where outbox files are uploaded (none: local outbox only)"
    )
    checksum_wait_seconds: float = Field(
        0.0,
        ge=0,
        description="how long to poll for a missing .sha256 before calling the delivery incomplete"
    )
    checksum_poll_seconds: float = Field(
        10.0, gt=0, description="interval between polls for the .sha256"
    )

    @classmethod
    def served_by(cls, server) -> SourcesSettings:
        """Every source (and the re-verification results) from one SFTP server's folder of
        the same name: the embedded server of ``sigap demo`` or a local OpenSSH ``sshd``
        (anything with ``client_endpoint(remote_root)``)."""
        return cls(
            kind="sftp",
            dukcapil=server.client_endpoint("dukcapil"),
            dtsen=server.client_endpoint("dtsen"),
            bpjstk=server.client_endpoint("bpjstk"),
            verifikasi=server.client_endpoint("verifikasi"),
        )


class DatabaseSettings(_Table):
    url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the registry (default: a SQLite file data_dir/registry.sqlite)",
    )
    auto_upgrade: bool = Field(
        True, description="apply Alembic migrations automatically before a run (embedded mode)"
    )


class RuleSettings(_Table):
    """The rule book's parameters (PROGRAM.md, all configurable)."""

    max_desil: int = Field(5, ge=1, le=10, description="highest DTSEN desil that qualifies")
    min_age: int = Field(
        15, ge=0, le=130, description="youngest qualifying age (whole years at period end; not above `max_age`)"
    )
    max_age: int = Field(
        65, ge=0, le=130, description="oldest qualifying age (whole years at period end)"
    )
    quota: int = Field(51_666, ge=0, description="cap on city-paid participants")
    annual_budget_idr: int | None = Field(
        None,
        ge=0,
        description="annual budget in rupiah; when set the cap is min(quota, budget / 12 months)",
    )
    monthly_contribution_idr: int = Field(
        16_800, gt=0, description="JKK+JKM contribution per participant per month (Rp)"
    )
    typo_name_similarity: float = Field(
        0.90, ge=0, le=1, description="minimum name similarity for NIK_PROBABLE_TYPO"
    )
    mismatch_name_similarity: float = Field(
        0.85,
        ge=0,
        le=1,
        description="below this name similarity a matched NIK is IDENTITY_MISMATCH",
    )
    max_nik_edits: int = Field(
        2,
        ge=0,
        description="digit edits (substitution or adjacent transposition) for a probable typo",
    )
    escalate_after_periods: int = Field(
        2, ge=1, description="a re-verification case open longer than this is escalated"
    )

    @model_validator(mode="after")
    def _ages_in_order(self) -> RuleSettings:
        if self.min_age > self.max_age:
            raise InvalidInput(
                f"rules.min_age ({self.min_age}) must not be above rules.max_age ({self.max_age})"
            )
        return self


class RegistrySettings(_Table):
    """The registry's period history (docs/DESIGN.md, "Period history")."""

    first_period: str | None = Field(
        None,
        pattern=r"^20\d\d-(0[1-9]|1[0-2])$",
        description="the registry's first period, `YYYY-MM`: it is reconciled without a previous period, every later period only on the current release of the one before it, and earlier periods are refused (default: the earliest period published)",
    )


def _default_tolerances() -> dict[str, float]:
    return {"dukcapil": 0.10, "dtsen": 0.10, "bpjstk": 0.10}


class ValidationSettings(_Table):
    max_reject_share: float = Field(
        0.01,
        ge=0,
        le=1,
        description="an extract with a larger share of rejected rows fails validation",
    )
    row_count_tolerance: dict[SourceName, Annotated[float, Field(ge=0)]] = Field(
        default_factory=_default_tolerances,
        description="allowed relative row-count change against the previous accepted extract, per source (a source left out keeps its default)",
    )
    max_uncompressed_bytes: int = Field(
        4 * 1024**3,
        gt=0,
        description="cap on an extract's uncompressed size (decompression-bomb guard)",
    )
    data_docs: bool = Field(True, description="build Great Expectations Data Docs for each run")

    @model_validator(mode="after")
    def _every_source_has_a_tolerance(self) -> ValidationSettings:
        self.row_count_tolerance = _default_tolerances() | dict(self.row_count_tolerance)
        return self


class ReportSettings(_Table):
    """The run report (``laporan_YYYYMM_vN.md``/``.html``) and the open-data file
    (``statistik_YYYYMM_vN.csv``)."""

    language: Literal["id", "en"] = Field(
        "id",
        description="language of the run report: `id` Bahasa Indonesia, `en` English (the open-data file and its dictionary are in Bahasa Indonesia)",
    )
    suppression_threshold: int = Field(
        5,
        ge=1,
        description="the open-data file withholds every count from 1 to this number minus one, and the counts that would let a reader recompute them from the published totals (1: nothing withheld)",
    )


class ScaleSettings(_Table):
    """Reconciliation and change detection on partitions of people by NIK hash, as mapped
    Prefect tasks, optionally on Dask workers (``tasks.partitioned``). Off by default:
    ``partitions = 1`` reconciles in the flow's process."""

    partitions: int = Field(
        1,
        description="partitions by NIK hash for reconciliation and change detection: 1 runs them in the flow's process; more runs each partition as a mapped Prefect task, on Dask when `dask_address` or `dask_workers` is set, else in threads of the flow's process (the result is identical)",
    )
    dask_address: str | None = Field(
        None,
        description="scheduler of an existing Dask cluster for the partitions, e.g. `tcp://scheduler:8786` (needs `PREFECT_API_URL` set and reachable from the workers, and this project installed on them)",
    )
    dask_workers: int = Field(
        0,
        description="without `dask_address`: start a local Dask cluster of this many single-threaded worker processes for the run's partitions (0: none)",
    )
    staging_dir: Path | None = Field(
        None,
        description="hand the parts to the workers as Parquet files in this folder instead of through the Dask graph; every worker must see it at the same path (absolute with `dask_address`)",
    )
    arrow_memory_pool: Literal["jemalloc", "mimalloc", "system"] = Field(
        "jemalloc",
        description="pyarrow's memory pool for the flow's process: `jemalloc` keeps freed pages about a second for reuse (pyarrow's default `mimalloc` hands them back within milliseconds, and faulting them in again is most of what a cold parse of a city's extract costs); a build without the one named keeps pyarrow's default",
    )

    @property
    def uses_dask(self) -> bool:
        return self.dask_address is not None or self.dask_workers > 0

    @model_validator(mode="after")
    def _consistent(self) -> ScaleSettings:
        problems: list[str] = []
        if self.partitions < 1:
            problems.append(
                f"scale.partitions must be at least 1 (1: reconcile in one process), not {self.partitions}"
            )
        if self.dask_workers < 0:
            problems.append(f"scale.dask_workers cannot be negative ({self.dask_workers})")
        if self.dask_address is not None and not self.dask_address.strip():
            problems.append(
                "scale.dask_address is empty: give the scheduler's address "
                "(e.g. tcp://scheduler:8786) or leave it out"
            )
        if self.dask_address is not None and self.dask_workers > 0:
            problems.append(
                "set scale.dask_address (an existing cluster) or scale.dask_workers "
                "(a local cluster started by the run), not both"
            )
        if self.partitions == 1:
            unused = [
                name
                for name, given in (
                    ("dask_address", self.dask_address is not None),
                    ("dask_workers", self.dask_workers > 0),
                    ("staging_dir", self.staging_dir is not None),
                )
                if given
            ]
            if unused:
                problems.append(
                    f"scale.{' and scale.'.join(unused)} only apply with scale.partitions > 1 "
                    "(with 1 partition the run reconciles in its own process): set partitions "
                    "or remove them"
                )
        if (
            self.dask_address
            and self.staging_dir is not None
            and not self.staging_dir.is_absolute()
        ):
            problems.append(
                "scale.staging_dir must be an absolute path with scale.dask_address "
                f"(the cluster's workers read it at the same path), not {self.staging_dir}"
            )
        if problems:
            raise InvalidInput("; ".join(problems))
        return self


class LinkSettings(_Table):
    """Where the Prefect UI's links lead: the outbox's reports and the runs' Data Docs,
    served read-only by ``sigap files-serve`` (started by ``sigap serve`` and
    ``infra/server.sh``)."""

    base_url: str | None = Field(
        None,
        description="URL under which the report server serves the outbox's reports (`<base_url>/outbox/...`) and the runs' Data Docs (`<base_url>/runs/...`), e.g. `http://127.0.0.1:8765/`; unset: the UI names the file instead of linking to it (a browser does not open `file://` links from the UI)",
    )
    server_host: str = Field(
        "127.0.0.1",
        description="address the report server (`sigap files-serve`) listens on; loopback by default (it serves reports and Data Docs only, never files with personal data)",
    )
    server_port: int = Field(8765, ge=0, le=65535, description="port of the report server (0: any free port)")
    serve_files: bool = Field(
        True, description="`sigap serve` and `infra/server.sh` start the report server beside the flows"
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise InvalidInput(f"links.base_url must start with http:// or https://, not {value!r}")
        return value if value.endswith("/") else value + "/"


class LateDeliverySettings(_Table):
    """A scheduled run whose deliveries are incomplete waits for them: it is rescheduled
    (holding no worker) until they are complete or the deadline has passed."""

    deadline_day: int = Field(
        10,
        ge=1,
        le=28,
        description="day of the month after the period by which every extract must be delivered (Jakarta time); a scheduled run waits for missing deliveries until then, then fails naming every missing source",
    )
    deadline_time: time = Field(
        time(23, 59), description="time of day of the deadline (Jakarta time, `HH:MM`)"
    )
    poll_minutes: float = Field(
        60.0,
        gt=0,
        description="a scheduled run waiting for deliveries looks again after this many minutes (it is rescheduled in the meantime, holding no worker)",
    )


class Settings(BaseSettings):
    """All settings of SIGAP Registry."""

    model_config = SettingsConfigDict(
        env_prefix="SIGAP_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(
        Path("data"), description="working folder: downloads, baselines, rejects, GX docs, SQLite"
    )
    outbox_dir: Path | None = Field(
        None, description="where published files go (default: data_dir/outbox)"
    )
    mode: Literal["embedded", "server"] = Field(
        "embedded",
        description="`embedded`: the monthly flow runs re-verification itself; `server`: an event triggers its deployment",
    )
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
    links: LinkSettings = Field(default_factory=LinkSettings)
    late_deliveries: LateDeliverySettings = Field(default_factory=LateDeliverySettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _TOML_PATH.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    # derived paths -------------------------------------------------------------------
    @property
    def outbox(self) -> Path:
        return self.outbox_dir or self.data_dir / "outbox"

    @property
    def database_url(self) -> str:
        if self.database.url is not None:
            return self.database.url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'registry.sqlite').resolve()}"


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
