"""Fetching the monthly extracts (and the optional re-verification results)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import task
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

from connectors.sftp import FetchedFile, open_source
from core.errors import RemoteFileMissing
from core.settings import Settings
from domain.codes import Source
from domain.extracts import SPECS, VERIFIKASI
from tasks.retry import BACKOFF, is_transient


def download_dir(settings: Settings, source: Source | str, period: str) -> Path:
    return settings.data_dir / "downloads" / str(source) / period


@dataclass(frozen=True)
class MissingDelivery:
    """An extract of the period that cannot be read yet."""

    source: str
    file: str
    #: the data file is there without its .sha256 (the provider is still writing it)
    being_written: bool

    def describe(self) -> str:
        what = "no .sha256 yet (still being written)" if self.being_written else "not delivered"
        return f"{self.source} ({self.file}: {what})"


@task(
    name="check-deliveries",
    task_run_name="check-deliveries-{period}",
    retries=len(BACKOFF),
    retry_delay_seconds=BACKOFF,
    retry_condition_fn=is_transient,
    cache_policy=NONE,
)
def check_deliveries(settings: Settings, period: str) -> list[MissingDelivery]:
    """Every extract of the period whose ``.sha256`` is not there yet (a file is complete
    once its checksum file is: the provider writes it last), in the validation order. The
    three servers are asked at once (a connection each: the run waits for the slowest
    handshake, not for the sum)."""
    from concurrent.futures import ThreadPoolExecutor

    def look(source: Source) -> MissingDelivery | None:
        rel = SPECS[source].remote_path(period)
        with open_source(settings, source) as remote:
            if remote.exists(f"{rel}.sha256"):
                return None
            return MissingDelivery(str(source), rel.rsplit("/", 1)[-1], remote.exists(rel))

    with ThreadPoolExecutor(len(Source), thread_name_prefix="check-deliveries") as pool:
        found = list(pool.map(look, Source))
    return [m for m in found if m is not None]


@task(
    name="fetch-extract",
    task_run_name="fetch-{source}-{period}",
    retries=len(BACKOFF),
    retry_delay_seconds=BACKOFF,
    retry_condition_fn=is_transient,
    cache_policy=NONE,
)
def fetch_extract(settings: Settings, source: Source, period: str) -> FetchedFile:
    """Download one extract once its .sha256 is there; skipped when the local copy already
    has the published digest (a re-run downloads only what changed)."""
    logger = get_run_logger()
    spec = SPECS[Source(source)]
    with open_source(settings, source) as remote:
        fetched = remote.fetch(spec.remote_path(period), download_dir(settings, source, period))
    logger.info("%s %s: %s bytes, sha256 %s", source, period, f"{fetched.size:,}", fetched.sha256[:12])
    return fetched


@task(
    name="fetch-verification-results",
    task_run_name="fetch-verifikasi-{period}",
    retries=len(BACKOFF),
    retry_delay_seconds=BACKOFF,
    retry_condition_fn=is_transient,
    cache_policy=NONE,
)
def fetch_verification_results(settings: Settings, period: str) -> FetchedFile | None:
    """The kelurahan's re-verification results for the period, when an operator uploaded
    them (``verifikasi/YYYY/MM/HASIL_VERIFIKASI_YYYYMM.csv`` on the Dukcapil side)."""
    year, month = period.split("-")
    rel = f"{year}/{month}/{VERIFIKASI.file_name(period)}"
    with open_source(settings, "verifikasi") as remote:
        if not remote.exists(rel):
            return None
        try:
            return remote.fetch(rel, download_dir(settings, "verifikasi", period))
        except RemoteFileMissing:
            return None
