"""Typed settings: a TOML file plus ``SIGAP_...`` environment overrides.

Precedence (highest first): keyword arguments, environment variables
(``SIGAP_DATABASE__URL``, ``SIGAP_RULES__QUOTA``, ``SIGAP_SFTP__DUKCAPIL__HOST`` ...),
the TOML file (``--config``, else ``$SIGAP_CONFIG``, else ``./sigap.toml`` when present),
then the defaults below. Nothing is read at import time: call ``load_settings``.

Every field has a description: ``sigap settings table`` renders the README's table from
them.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

_TOML_PATH: ContextVar[Path | None] = ContextVar("sigap_toml_path", default=None)


class SftpEndpoint(BaseModel):
    """One SFTP server (one per source: each agency runs its own)."""

    host: str = Field("127.0.0.1", description="SFTP host name or address")
    port: int = Field(22, description="SFTP port")
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
    timeout_seconds: float = Field(30.0, description="connect and read timeout")
    retries: int = Field(
        3,
        description="retries after the first attempt on transient network errors, with backoff (the fetch task retries again later, for longer outages)",
    )


class SourcesSettings(BaseModel):
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
        0.0, description="how long to poll for a missing .sha256 before calling the delivery incomplete"
    )
    checksum_poll_seconds: float = Field(10.0, description="interval between polls for the .sha256")

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


class DatabaseSettings(BaseModel):
    url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL of the registry (default: a SQLite file data_dir/registry.sqlite)",
    )
    auto_upgrade: bool = Field(
        True, description="apply Alembic migrations automatically before a run (embedded mode)"
    )


class RuleSettings(BaseModel):
    """The rule book's parameters (PROGRAM.md, all configurable)."""

    max_desil: int = Field(5, description="highest DTSEN desil that qualifies")
    min_age: int = Field(15, description="youngest qualifying age (whole years at period end)")
    max_age: int = Field(65, description="oldest qualifying age (whole years at period end)")
    quota: int = Field(51_666, description="cap on city-paid participants")
    annual_budget_idr: int | None = Field(
        None, description="annual budget in rupiah; when set the cap is min(quota, budget / 12 months)"
    )
    monthly_contribution_idr: int = Field(
        16_800, description="JKK+JKM contribution per participant per month (Rp)"
    )
    typo_name_similarity: float = Field(
        0.90, description="minimum name similarity for NIK_PROBABLE_TYPO"
    )
    mismatch_name_similarity: float = Field(
        0.85, description="below this name similarity a matched NIK is IDENTITY_MISMATCH"
    )
    max_nik_edits: int = Field(
        2, description="digit edits (substitution or adjacent transposition) for a probable typo"
    )
    escalate_after_periods: int = Field(
        2, description="a re-verification case open longer than this is escalated"
    )


class RegistrySettings(BaseModel):
    """The registry's period history (docs/DESIGN.md, "Period history")."""

    first_period: str | None = Field(
        None,
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="the registry's first period, `YYYY-MM`: it is reconciled without a previous period, every later period only on the current release of the one before it, and earlier periods are refused (default: the earliest period published)",
    )


class ValidationSettings(BaseModel):
    max_reject_share: float = Field(
        0.01, description="an extract with a larger share of rejected rows fails validation"
    )
    row_count_tolerance: dict[str, float] = Field(
        default_factory=lambda: {"dukcapil": 0.10, "dtsen": 0.10, "bpjstk": 0.10},
        description="allowed relative row-count change against the previous accepted extract, per source",
    )
    max_uncompressed_bytes: int = Field(
        4 * 1024**3, description="cap on an extract's uncompressed size (decompression-bomb guard)"
    )
    data_docs: bool = Field(True, description="build Great Expectations Data Docs for each run")


class ScaleSettings(BaseModel):
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
            raise ValueError("; ".join(problems))
        return self


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
    scale: ScaleSettings = Field(default_factory=ScaleSettings)

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
    when it exists; environment variables override the file, ``overrides`` override all."""
    from core.errors import ConfigError

    path = Path(config) if config else None
    if path is None and os.environ.get("SIGAP_CONFIG"):
        path = Path(os.environ["SIGAP_CONFIG"])
    if path is None and Path("sigap.toml").is_file():
        path = Path("sigap.toml")
    if path is not None and not path.is_file():
        raise ConfigError(f"settings file {path} does not exist")
    token = _TOML_PATH.set(path)
    try:
        return Settings(**overrides)
    except Exception as exc:  # pydantic's ValidationError names the field
        raise ConfigError(f"invalid settings{f' in {path}' if path else ''}: {exc}") from exc
    finally:
        _TOML_PATH.reset(token)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def to_toml(settings: Settings, *, include_secrets: bool = False) -> str:
    """Render settings as a TOML file that ``load_settings`` reads back.

    Secret fields (``SecretStr``) are left out unless ``include_secrets``: pass them through
    ``SIGAP_...`` environment variables instead of writing them to disk.
    """

    def plain(value: Any) -> Any:
        if isinstance(value, BaseModel):
            out = {}
            for name in type(value).model_fields:
                item = getattr(value, name)
                if item is None:
                    continue
                if isinstance(item, SecretStr):
                    if not include_secrets:
                        continue
                    item = item.get_secret_value()
                out[name] = plain(item)
            return out
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
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


def settings_markdown_table() -> str:
    """Every setting with its environment variable, default and description (the README's
    settings table is generated from this: ``sigap settings table``)."""
    from pydantic_core import PydanticUndefined

    rows = ["| setting (TOML) | environment variable | default | description |", "|---|---|---|---|"]

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
                    f"| `{'.'.join(path)}.*` | `SIGAP_{'__'.join(p.upper() for p in path)}__*` | | "
                    f"{field.description or ''}: the fields of an SFTP endpoint below |"
                )
                continue
            if nested is not None:
                walk(nested, path)
                continue
            env = "SIGAP_" + "__".join(p.upper() for p in path)
            rows.append(f"| `{'.'.join(path)}` | `{env}` | {default_of(field)} | {field.description or ''} |")

    walk(Settings, [])
    rows.append("| | | | **An SFTP endpoint** (`sources.dukcapil`, `sources.dtsen`, `sources.bpjstk`, `sources.verifikasi`, `sources.outbound`): |")
    for name, field in SftpEndpoint.model_fields.items():
        rows.append(f"| `sources.<source>.{name}` | `SIGAP_SOURCES__<SOURCE>__{name.upper()}` | {default_of(field)} | {field.description or ''} |")
    return "\n".join(rows)
