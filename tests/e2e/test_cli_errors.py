"""``sigap run`` as an operator types it, in its own process (Prefect's console logging
as in production), against the test session's Prefect server: a data or settings error
prints one clean ``error:`` line, no traceback; the advice is the command line's; two
concurrent runs of one period never share a writable folder and neither ends in a
traceback."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connectors import registry_db
from core.settings import RuleSettings, Settings, SourcesSettings, to_toml
from domain.extracts import DUKCAPIL

pytestmark = pytest.mark.prefect
P1 = "2026-08"


@pytest.fixture()
def setup(e2e_sample, tmp_path):
    from devkit.demo import demo_quota

    tree = tmp_path / "inbox"
    shutil.copytree(e2e_sample.sftp_root, tree)

    def config(**overrides) -> Path:
        settings = Settings(
            data_dir=tmp_path / "data",
            sources=SourcesSettings(kind="local", local_root=tree),
            rules=RuleSettings(quota=demo_quota(e2e_sample, P1)),
            **overrides,
        )
        path = tmp_path / "sigap.toml"
        path.write_text(to_toml(settings, include_secrets=True), encoding="utf-8")
        return path

    return tree, config


def _sigap(*args: str, cwd: Path) -> subprocess.Popen:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_LOGGING_LEVEL": "INFO"}
    return subprocess.Popen(
        [sys.executable, "-m", "sigap.cli", *args], cwd=cwd, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    output, _ = process.communicate(timeout=600)
    return process.returncode, output


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_a_failed_validation_prints_one_error_line_with_the_command_lines_advice(
    prefect_harness, setup, tmp_path
):
    tree, config = setup
    path = tree / "dukcapil" / DUKCAPIL.remote_path(P1)
    lines = gzip.decompress(path.read_bytes()).decode("utf-8-sig").splitlines()
    column = lines[0].split("|").index("NIK")
    for n in range(1, 61):
        fields = lines[n].split("|")
        fields[column] = "12345"
        lines[n] = "|".join(fields)
    import hashlib

    data = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    path.write_bytes(data)
    Path(f"{path}.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")

    code, output = _finish(_sigap("run", "--local", "--period", P1, "--config", str(config()), cwd=tmp_path))
    assert code == 2, output
    assert "Traceback" not in output and "Finished in state Failed" not in output, output
    [error] = _error_lines(output)
    assert "dukcapil" in error and "too many rows rejected" in error
    assert f"sigap run --period {P1} --accept-flagged dukcapil" in error
    assert "accept_flagged =" not in error and "Retry" not in error
    assert str((tmp_path / "data" / "runs" / P1 / "rejects").resolve()) in error


def test_a_registry_path_that_cannot_be_used_is_one_clean_error(prefect_harness, setup, tmp_path):
    from core.settings import DatabaseSettings

    _, config = setup
    bad = config(database=DatabaseSettings(url="sqlite:////proc/nope/x.sqlite"))
    code, output = _finish(_sigap("run", "--local", "--period", P1, "--config", str(bad), cwd=tmp_path))
    assert code == 2, output
    assert "Traceback" not in output, output
    [error] = _error_lines(output)
    assert "/proc/nope" in error and "database.url" in error


def test_two_concurrent_runs_of_a_period_share_no_folder_and_end_cleanly(
    prefect_harness, setup, tmp_path
):
    _, config = setup
    path = config()
    processes = [
        _sigap("run", "--local", "--period", P1, "--config", str(path), cwd=tmp_path)
        for _ in range(2)
    ]
    results = [_finish(p) for p in processes]
    for code, output in results:
        assert "Traceback" not in output, output
        assert code == 0 or (code == 2 and len(_error_lines(output)) == 1), output
    assert any(code == 0 for code, _ in results)
    # each run built its Data Docs in a folder of its own
    folders = sorted(p.name for p in (tmp_path / "data" / "runs" / P1).glob("run-*"))
    assert len(folders) == 2, folders
    engine = registry_db.make_engine(f"sqlite:///{tmp_path / 'data' / 'registry.sqlite'}")
    try:
        assert [(r.version, r.status) for r in registry_db.releases(engine, P1)] == [(1, "PUBLISHED")]
    finally:
        engine.dispose()
