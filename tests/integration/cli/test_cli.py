"""The `sigap` command line: look-ups on a real published release, clean errors, help.

The release is produced without Prefect (validate -> reconcile -> publish) from a small
generated sample, so these tests exercise the CLI, not the orchestrator."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors import registry_db
from domain.changes import empty_changes
from domain.codes import Source
from domain.extracts import SPECS
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from sigap.cli import app

PERIOD = "2026-08"
runner = CliRunner()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    from expectations.validate import validate_extract
    from devkit.sample import generate, read_truth

    root = tmp_path_factory.mktemp("cli")
    sample = generate(root / "sample", residents=3_000, periods=[PERIOD], seed=5)
    frames = {}
    for source in Source:
        path = Path(sample.sftp_root) / source.value / SPECS[source].remote_path(PERIOD)
        frames[source] = validate_extract(
            path, SPECS[source], PERIOD, work_dir=root / "work", max_reject_share=0.01,
            row_count_tolerance=0.1, previous_rows=None, max_uncompressed_bytes=2**30,
        ).accepted
    params = RuleParameters(quota=280)
    result = reconcile(ReconcileInputs(PERIOD, frames[Source.DUKCAPIL], frames[Source.DTSEN], frames[Source.BPJSTK]), params)
    data_dir = root / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'registry.sqlite'}"
    registry_db.upgrade(url)
    engine = registry_db.make_engine(url)
    registry_db.publish_release(engine, registry_db.PublishRequest(
        period=PERIOD, rules_version=result.rules_version, input_digests={"dukcapil": "0" * 64, "dtsen": "1" * 64, "bpjstk": "2" * 64},
        flow_run_id=None, counts=result.counts, monthly_cost_idr=result.quota.monthly_cost_idr,
        quota=result.quota.cap, entries=result.entries, changes=empty_changes(),
    ))
    engine.dispose()
    truth, _ = read_truth(Path(sample.truth_root), PERIOD)
    return {"data_dir": data_dir, "result": result, "truth": truth, "quota": 280}


def _env(published) -> dict[str, str]:
    return {"SIGAP_DATA_DIR": str(published["data_dir"]), "SIGAP_RULES__QUOTA": str(published["quota"])}


def test_explain_shows_decision_reasons_and_evidence(published):
    entries = published["result"].entries
    typo = entries[entries["reasons"].str.contains("NIK_PROBABLE_TYPO", regex=False)].iloc[0]
    out = runner.invoke(app, ["explain", "--period", PERIOD, "--kpj", typo["kpj"]], env=_env(published))
    assert out.exit_code == 0, out.output
    assert "REVERIFY" in out.output and "NIK_PROBABLE_TYPO" in out.output
    assert typo["suggested_nik"] in out.output  # the operator's own look-up shows the full NIK
    assert "evidence" in out.output


def test_explain_unknown_person_is_a_clean_error(published):
    out = runner.invoke(app, ["explain", "--period", PERIOD, "--nik", "3275019999990001"], env=_env(published))
    assert out.exit_code == 2
    assert "Traceback" not in out.output and "3275019999990001" not in out.output


def test_whatif_budget_enrols_exactly_the_places_it_pays_for(published):
    q = published["result"].quota
    extra = 7
    assert q.waitlisted >= extra
    budget = (q.places_used + q.enrolled + extra) * 16_800 * 12
    out = runner.invoke(app, ["whatif", "--period", PERIOD, "--budget", str(budget), "--quota", "1000000"], env=_env(published))
    assert out.exit_code == 0, out.output
    assert f"(+{extra})" in out.output and "nothing was published" in out.output


def test_verify_results_requires_a_checksum_and_closes_cases(published, tmp_path):
    results = tmp_path / "HASIL_VERIFIKASI_202608.csv"
    results.write_text("CASE_ID|NIK|HASIL|NIK_BARU|CATATAN|PETUGAS|TGL_VERIFIKASI\nRV-X|3275014101900123|LAYAK|||A|2026-08-20\n")
    out = runner.invoke(app, ["verify-results", str(results)], env=_env(published))
    assert out.exit_code == 2 and ".sha256" in out.output
    Path(f"{results}.sha256").write_text(f"{hashlib.sha256(results.read_bytes()).hexdigest()}  {results.name}\n")
    out = runner.invoke(app, ["verify-results", str(results)], env=_env(published))
    assert out.exit_code == 0, out.output
    assert "0 cases to close" in out.output and "not applied" in out.output  # unknown case id
    assert "1 answers recorded for 2026-08" in out.output and "already published" in out.output
    assert "--cascade" in out.output
    out = runner.invoke(app, ["verify-results", str(results)], env=_env(published))
    assert "0 answers recorded" in out.output and "recorded before" in out.output


@pytest.fixture()
def history(published, tmp_path):
    """A copy of the published registry with August v2 (three decisions changed) and a
    September built on August v1 (stale since v2)."""
    import shutil

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(published["data_dir"] / "registry.sqlite", data_dir / "registry.sqlite")
    engine = registry_db.make_engine(f"sqlite:///{data_dir / 'registry.sqlite'}")
    try:
        v1 = registry_db.latest_release(engine, PERIOD)
        entries = published["result"].entries.copy()
        keep = entries.index[entries["decision"] == "KEEP"][:3]
        entries.loc[keep, "decision"] = "TERMINATE"
        request = dict(
            rules_version=v1.rules_version, flow_run_id=None, counts={}, monthly_cost_idr=0,
            quota=1, changes=empty_changes(),
        )  # fmt: skip
        registry_db.publish_release(engine, registry_db.PublishRequest(
            period="2026-09", input_digests={"dukcapil": "3" * 64, "dtsen": "4" * 64, "bpjstk": "5" * 64},
            entries=entries, based_on_release_id=v1.release_id, **request,
        ))  # fmt: skip
        registry_db.publish_release(engine, registry_db.PublishRequest(
            period=PERIOD, input_digests={"dukcapil": "6" * 64, "dtsen": "1" * 64, "bpjstk": "2" * 64},
            entries=entries, **request,
        ))  # fmt: skip
    finally:
        engine.dispose()
    return {"data_dir": data_dir, "changed": entries.loc[keep]}


def test_status_lists_every_period_with_its_staleness(history):
    env = {"SIGAP_DATA_DIR": str(history["data_dir"])}
    out = runner.invoke(app, ["status"], env=env)
    assert out.exit_code == 0, out.output
    assert "2026-08" in out.output and "v2 of 2" in out.output
    assert "STALE" in out.output and "sigap run --period 2026-09 --cascade" in out.output


def test_diff_prints_counts_and_shows_people_only_when_asked(history):
    env = {"SIGAP_DATA_DIR": str(history["data_dir"])}
    out = runner.invoke(app, ["diff", "--period", PERIOD], env=env)
    assert out.exit_code == 0, out.output
    assert "v1" in out.output and "v2" in out.output and "KEEP -> TERMINATE: 3" in out.output
    assert "input dukcapil" in out.output and "input dtsen" not in out.output
    nik = history["changed"]["nik"].iloc[0]
    assert nik not in out.output
    out = runner.invoke(app, ["diff", "--period", PERIOD, "--show-people"], env=env)
    assert out.exit_code == 0 and nik in out.output
    out = runner.invoke(app, ["diff", "--period", PERIOD, "--from", "1", "--to", "7"], env=env)
    assert out.exit_code == 2 and "no version 7" in out.output and "Traceback" not in out.output


def test_settings_table_and_bad_settings(tmp_path):
    out = runner.invoke(app, ["settings", "table"])
    assert out.exit_code == 0 and "SIGAP_RULES__MAX_DESIL" in out.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules]\nquota = 'lots'\n")
    out = runner.invoke(app, ["settings", "show", "--config", str(bad)])
    assert out.exit_code == 2 and "quota" in out.output and "Traceback" not in out.output


def test_run_with_unreachable_sftp_fails_cleanly(tmp_path):
    out = runner.invoke(app, ["run", "--period", "2026-13"], env={"SIGAP_DATA_DIR": str(tmp_path)})
    assert out.exit_code != 0 and "YYYY-MM" in out.output


def test_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "sigap.cli", "--help"], capture_output=True, text=True, check=True)
    for command in ("demo", "run", "backfill", "status", "repair", "diff", "sample", "explain", "whatif",
                    "verify-results", "reverify", "serve", "bench", "db", "settings"):
        assert command in out.stdout


@pytest.mark.parametrize("bad", ["2026-10\n", "0000-01", "2026-13"])
@pytest.mark.parametrize(
    "command",
    [
        ["run", "--period"],
        ["explain", "--nik", "3275010101900001", "--period"],
        ["whatif", "--quota", "5", "--period"],
        ["reverify", "--period"],
        ["demo", "--start"],
        ["sample", "--start"],
    ],
)
def test_a_bad_period_is_refused_before_the_command_starts(command, bad, tmp_path):
    out = runner.invoke(app, [*command, bad], env={"SIGAP_DATA_DIR": str(tmp_path / "data")})
    assert out.exit_code == 2, out.output
    assert repr(bad) in out.output and "YYYY-MM" in out.output and "Traceback" not in out.output
    assert not list(tmp_path.iterdir())  # nothing written


def _results_file(folder: Path, name: str) -> Path:
    results = folder / name
    results.write_text("CASE_ID|NIK|HASIL|NIK_BARU|CATATAN|PETUGAS|TGL_VERIFIKASI\nRV-X|3275014101900123|LAYAK|||A|2026-08-20\n")
    Path(f"{results}.sha256").write_text(f"{hashlib.sha256(results.read_bytes()).hexdigest()}  {results.name}\n")
    return results


@pytest.mark.parametrize(
    "name",
    ["HASIL_VERIFIKASI_2026080.csv", "HASIL_VERIFIKASI_202608.csv.bak", "HASIL_VERIFIKASI_000001.csv", "hasil.csv"],
)
def test_verify_results_takes_the_period_only_from_a_contract_file_name(published, tmp_path, name):
    results = _results_file(tmp_path, name)
    out = runner.invoke(app, ["verify-results", str(results)], env=_env(published))
    assert out.exit_code == 2, out.output
    assert "HASIL_VERIFIKASI_YYYYMM.csv" in out.output and "--period" in out.output
    assert not (published["data_dir"] / "runs" / "2026-08" / "rejects" / f"{name}").exists()


def test_verify_results_period_must_agree_with_the_file_name(published, tmp_path):
    results = _results_file(tmp_path, "HASIL_VERIFIKASI_202608.csv")
    out = runner.invoke(app, ["verify-results", str(results), "--period", "2026-09"], env=_env(published))
    assert out.exit_code == 2 and "2026-09" in out.output and "202608" in out.output, out.output
    out = runner.invoke(app, ["verify-results", str(results), "--period", "2026-08\n"], env=_env(published))
    assert out.exit_code == 2 and "'2026-08\\n'" in out.output, out.output


def _show(env: dict[str, str], *args: str) -> str:
    out = runner.invoke(app, ["settings", "show", *args], env=env)
    assert out.exit_code == 0, out.output
    return out.output


def test_settings_show_prints_the_database_url_with_the_password_masked(tmp_path):
    env = {
        "SIGAP_DATABASE__URL": "postgresql+psycopg://sigap:hunter2@dbhost:5433/sigap?sslmode=require",
        "SIGAP_SOURCES__DUKCAPIL__PRIVATE_KEY_PASSPHRASE": "open-sesame",
    }
    shown = _show(env)
    assert '[database]\nurl = "postgresql+psycopg://sigap:***@dbhost:5433/sigap?sslmode=require"' in shown
    assert "hunter2" not in shown and "open-sesame" not in shown and "private_key_passphrase" not in shown
    # a password given as a query parameter (libpq style) is masked too
    shown = _show({"SIGAP_DATABASE__URL": "postgresql+psycopg://sigap@dbhost/sigap?password=hunter2"})
    assert "hunter2" not in shown and "password=***" in shown


def test_settings_show_prints_the_default_sqlite_url_resolved(tmp_path):
    data = tmp_path / "data"
    shown = _show({"SIGAP_DATA_DIR": str(data)})
    assert f'url = "sqlite:///{data.resolve() / "registry.sqlite"}"' in shown


def test_status_and_repair_finish_a_delivery_a_crash_left(published, tmp_path):
    """A release committed with its files still staged (the process died before moving
    them): `sigap status` says so and points at `sigap repair`; repair moves what is
    staged, makes the lost registry file again from the database, and names the file it
    cannot make again (exit 2); once that is back, a second repair finishes and a third
    has nothing to do."""
    from connectors.outbox import Outbox
    from domain.release_files import mutasi_rows, registry_rows

    data_dir = tmp_path / "data"
    env = {"SIGAP_DATA_DIR": str(data_dir)}
    url = f"sqlite:///{data_dir / 'registry.sqlite'}"
    registry_db.upgrade(url)
    engine = registry_db.make_engine(url)
    entries = published["result"].entries
    box = {}

    def stage(pending):
        staged = Outbox(data_dir / "outbox").staging(f"202608_v{pending.version}")
        staged.write_csv("registry_202608_v1.csv", registry_rows(entries, int(pending)))
        staged.write_csv("mutasi_bpjstk_202608_v1.csv", mutasi_rows(entries, PERIOD))
        staged.write_text("laporan_202608_v1.md", "# Laporan\n")
        staged.release()  # the process dies here: its files stay staged
        box["staged"] = staged
        return [registry_db.ReleaseFile(f.path, f.kind, f.sha256, f.size, staged.staging) for f in staged.manifest()]

    registry_db.publish_release(engine, registry_db.PublishRequest(
        period=PERIOD, rules_version="r", input_digests={"dukcapil": "0" * 64, "dtsen": "1" * 64, "bpjstk": "2" * 64},
        flow_run_id=None, counts={}, monthly_cost_idr=0, quota=1, entries=entries, changes=empty_changes(),
    ), while_loading=stage)  # fmt: skip
    engine.dispose()
    staged = box["staged"]
    staged.path("registry_202608_v1.csv").unlink()  # lost from staging: made again
    report = staged.path("laporan_202608_v1.md").read_bytes()
    staged.path("laporan_202608_v1.md").unlink()  # lost: cannot be made again

    out = runner.invoke(app, ["status"], env=env)
    assert out.exit_code == 0, out.output
    assert "PENDING" in out.output and "0/3" in out.output and "sigap repair" in out.output

    # (in a process of its own: its error log lines go to a real stderr)
    done = subprocess.run([sys.executable, "-m", "sigap.cli", "repair"], capture_output=True, text=True,
                          env={**os.environ, **env}, check=False)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "laporan_202608_v1.md" in output and "--force" in output and "Traceback" not in output
    outbox = Outbox(data_dir / "outbox")
    outbox.verify("registry_202608_v1.csv")
    outbox.verify("mutasi_bpjstk_202608_v1.csv")
    assert not (data_dir / "outbox" / "laporan_202608_v1.md").exists()
    assert outbox.staging_folders() == [staged.staging]  # still needed for the lost file

    staged.path("laporan_202608_v1.md").write_bytes(report)  # the operator puts it back
    out = runner.invoke(app, ["repair"], env=env)
    assert out.exit_code == 0, out.output
    assert "1 file moved from staging" in out.output and "1 staging folder removed" in out.output
    out = runner.invoke(app, ["repair"], env=env)
    assert out.exit_code == 0 and "nothing to repair" in out.output
    out = runner.invoke(app, ["status"], env=env)
    assert "complete" in out.output and "3/3" in out.output and "sigap repair" not in out.output
