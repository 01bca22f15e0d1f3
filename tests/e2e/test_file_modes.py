"""A real monthly run under the usual umask 022 leaves nothing world-readable in the
working folder (issue 15, point 6): downloads, rejects, baselines, the Great Expectations
stores and Data Docs, the SQLite registry with its WAL and SHM files, the outbox and a
failed validation's report are 0640 in 0750 folders, as README's personal-data table says."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from connectors import registry_db
from core.settings import RuleSettings, Settings, SourcesSettings, load_settings, to_toml
from tests.private_modes import umask, wrong_modes

pytestmark = pytest.mark.prefect


def test_a_run_leaves_every_file_of_the_working_folder_private(prefect_harness, e2e_sample, sftp_server, tmp_path):
    from devkit.demo import demo_quota
    from flows.monthly import monthly_reconciliation
    from tasks.report import publish_validation_failure

    period = e2e_sample.periods[0]
    data_dir = tmp_path / "data"
    settings = Settings(
        data_dir=data_dir,
        sources=SourcesSettings.served_by(sftp_server),
        rules=RuleSettings(quota=demo_quota(e2e_sample, period)),
    )
    assert settings.validation.data_docs  # the default: the Data Docs are written
    config = tmp_path / "sigap.toml"
    config.write_text(to_toml(settings))

    with umask(0o022):
        summary = monthly_reconciliation(period=period, config=str(config))
        # the report of a failed validation (written under runs/ when a run stops there)
        publish_validation_failure.fn(load_settings(config), period, [])

    assert summary.status == "PUBLISHED"
    for part in ("downloads/dukcapil", "downloads/dtsen", "downloads/bpjstk", f"runs/{period}/rejects",
                 "baselines", "outbox"):
        assert any(p.is_file() for p in (data_dir / part).rglob("*")), f"nothing under {part}"
    for part in ("data_docs", "gx"):  # in the run's own folder, runs/YYYY-MM/run-<flow run id>/
        found = [p for p in (data_dir / "runs" / period).glob(f"run-*/{part}/**/*") if p.is_file()]
        assert found, f"nothing under runs/{period}/run-*/{part}"
    assert (data_dir / "runs" / period / f"laporan_gagal_{period.replace('-', '')}.md").is_file()

    engine = registry_db.make_engine(settings.database_url)
    try:
        with engine.connect() as conn:  # a reader has it open: the -wal and -shm exist
            assert conn.execute(text("SELECT count(*) FROM registry_release")).scalar() == 1
            assert (data_dir / "registry.sqlite-wal").is_file() and (data_dir / "registry.sqlite-shm").is_file()
            assert wrong_modes(data_dir) == []
    finally:
        engine.dispose()
    assert wrong_modes(data_dir) == []
    assert Path(summary.report_html).is_file()
