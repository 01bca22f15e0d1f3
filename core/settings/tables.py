"""The tables of the settings (``[sources]``, ``[rules]``, ``[scale]`` ...): one pydantic
model each, every field with its default, its range and a description.

Every table is a :class:`_Table`: an unknown key is an error, a float is never NaN or
infinite. The root model that holds them is :class:`core.settings.model.Settings`.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from core.errors import InvalidInput

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
