"""Period history that operators can trust, end to end (the monthly flow under Prefect's
test harness, local folder sources, generated data):

- a corrected resend of September after October was published: September v2 is right,
  October v1 is marked stale, and re-running October (or ``--cascade``) publishes a v2
  whose entries and cases equal a history run in order on the corrected data, field by
  field (SQLite, and PostgreSQL for the cascade);
- two periods queued in the wrong order on a fresh registry: refused with what to run,
  or (October first) repaired by a backfill into the in-order history;
- a backfill of three months from an empty registry equals three runs one by one, and
  stops at the first failure with a clear message.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from prefect.testing.fixtures import asserting_and_emitting_events_worker  # noqa: F401 - a fixture

from connectors import registry_db
from core.errors import PeriodOutOfOrder, SequenceStopped
from core.settings import (
    RegistrySettings,
    RuleSettings,
    Settings,
    SourcesSettings,
    ValidationSettings,
    to_toml,
)
from domain.extracts import BPJSTK, DTSEN, DUKCAPIL

pytestmark = pytest.mark.prefect
P1, P2, P3 = "2026-08", "2026-09", "2026-10"
PERIODS = [P1, P2, P3]
#: people planted wrongly in September's first send: dead in Dukcapil, a high desil in DTSEN
WRONG_DEATHS, WRONG_DESIL = 15, 15
#: the case columns two histories must agree on (ids and wall-clock times aside)
CASE_COLUMNS = [
    "case_id", "nik", "kpj", "kode_kelurahan", "triggers", "status", "periods_open",
    "opened_period", "last_seen_period", "escalated", "resolution_note", "resolved_by",
    "nik_baru", "evidence",
]  # fmt: skip


def _config(tmp_path: Path, root: Path, sample, database_url: str | None = None, **registry) -> str:
    from devkit.demo import demo_quota

    settings = Settings(
        data_dir=tmp_path / "data",
        sources=SourcesSettings(kind="local", local_root=root),
        rules=RuleSettings(quota=demo_quota(sample, P1)),
        validation=ValidationSettings(data_docs=False),
        registry=RegistrySettings(**registry),
        **({"database": {"url": database_url}} if database_url else {}),
    )
    path = tmp_path / "sigap.toml"
    path.write_text(to_toml(settings, include_secrets=True))
    return str(path)


def _tree(sample, tmp_path: Path) -> Path:
    root = tmp_path / "inbox"
    shutil.copytree(sample.sftp_root, root)
    return root


def _file(root: Path, spec, period: str) -> Path:
    return root / spec.source.value / spec.remote_path(period)


def _rows(path: Path) -> tuple[list[str], list[str]]:
    lines = gzip.decompress(path.read_bytes()).decode("utf-8-sig").splitlines()
    return lines[0].split("|"), lines[1:]


def _write(path: Path, header: list[str], rows: list[str]) -> None:
    data = gzip.compress(("\n".join(["|".join(header), *rows]) + "\n").encode(), mtime=0)
    path.write_bytes(data)
    Path(f"{path}.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")


def _send_wrong_september(root: Path) -> tuple[dict[Path, bytes], list[str]]:
    """September's first send: a few participants wrongly dead (Dukcapil) and a few others
    with desil 9 (DTSEN). Returns the correct files (to resend) and the NIKs made dead."""
    originals = {}
    _, bpjs_rows = _rows(_file(root, BPJSTK, P2))
    bpjs_header, _ = _rows(_file(root, BPJSTK, P2))
    nik_at = bpjs_header.index("NIK")
    participants = {r.split("|")[nik_at] for r in bpjs_rows}

    path = _file(root, DUKCAPIL, P2)
    originals[path] = path.read_bytes()
    originals[Path(f"{path}.sha256")] = Path(f"{path}.sha256").read_bytes()
    header, rows = _rows(path)
    nik, status, when = header.index("NIK"), header.index("STATUS_DASAR"), header.index("TGL_PERISTIWA")
    dead: list[str] = []
    for i, row in enumerate(rows):
        fields = row.split("|")
        if fields[nik] in participants and fields[status] == "HIDUP" and len(dead) < WRONG_DEATHS:
            fields[status], fields[when] = "MATI", "14-09-2026"
            rows[i] = "|".join(fields)
            dead.append(fields[nik])
    _write(path, header, rows)

    path = _file(root, DTSEN, P2)
    originals[path] = path.read_bytes()
    originals[Path(f"{path}.sha256")] = Path(f"{path}.sha256").read_bytes()
    header, rows = _rows(path)
    nik, desil = header.index("NIK"), header.index("DESIL")
    raised = 0
    for i, row in enumerate(rows):
        fields = row.split("|")
        if fields[nik] in participants and fields[nik] not in dead and fields[desil] in ("1", "2") and raised < WRONG_DESIL:
            fields[desil] = "9"
            rows[i] = "|".join(fields)
            raised += 1
    _write(path, header, rows)
    assert len(dead) == WRONG_DEATHS and raised == WRONG_DESIL
    return originals, dead


def _resend(originals: dict[Path, bytes]) -> None:
    for path, data in originals.items():
        path.write_bytes(data)


def _entries(engine, period: str) -> pd.DataFrame:
    release = registry_db.latest_release(engine, period)
    return registry_db.release_entries(engine, release.release_id)


def _cases(engine) -> pd.DataFrame:
    return registry_db.cases(engine)[CASE_COLUMNS].reset_index(drop=True)


@dataclass
class History:
    entries: dict[str, pd.DataFrame]
    cases: pd.DataFrame
    release_ids: dict[str, int]


@pytest.fixture(scope="module")
def in_order(prefect_harness, e2e_sample, tmp_path_factory) -> History:
    """The reference: the three periods run once each, in order, on the correct data."""
    from flows.monthly import monthly_reconciliation

    tmp = tmp_path_factory.mktemp("in-order")
    config = _config(tmp, _tree(e2e_sample, tmp), e2e_sample)
    for period in PERIODS:
        assert monthly_reconciliation(period=period, config=config).version == 1
    engine = registry_db.make_engine(f"sqlite:///{tmp / 'data' / 'registry.sqlite'}")
    try:
        return History(
            entries={p: _entries(engine, p) for p in PERIODS},
            cases=_cases(engine),
            release_ids={p: registry_db.latest_release(engine, p).release_id for p in PERIODS},
        )
    finally:
        engine.dispose()


def _assert_same_history(engine, reference: History, periods=PERIODS) -> None:
    for period in periods:
        pd.testing.assert_frame_equal(
            _entries(engine, period), reference.entries[period], check_exact=True, obj=f"entries {period}"
        )
    pd.testing.assert_frame_equal(_cases(engine), reference.cases, check_exact=True, obj="cases")


def _sqlite(tmp_path: Path):
    return registry_db.make_engine(f"sqlite:///{tmp_path / 'data' / 'registry.sqlite'}")


def test_a_corrected_resend_of_an_earlier_period(
    in_order, e2e_sample, tmp_path, asserting_and_emitting_events_worker
):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.events.clients import AssertingPassthroughEventsClient

    from devkit.sample import read_truth
    from flows.monthly import monthly_reconciliation
    from sigap.lookups import registry_status
    from tests.e2e.test_monthly_flow import _compare_with_truth

    tree = _tree(e2e_sample, tmp_path)
    originals, dead = _send_wrong_september(tree)
    config = _config(tmp_path, tree, e2e_sample)
    first = {p: monthly_reconciliation(period=p, config=config) for p in PERIODS}
    assert all(s.version == 1 for s in first.values())
    assert first[P3].based_on_release_id == first[P2].release_id
    engine = _sqlite(tmp_path)
    try:
        # October v1 was built on the wrong September: its wrongly dead are pending termination
        wrong_october = _entries(engine, P3)
        pending = wrong_october[wrong_october["nik"].isin(dead)]["reasons"].str.contains("TERMINATION_PENDING")
        assert pending.sum() >= WRONG_DEATHS - 3

        _resend(originals)  # Dukcapil and DTSEN resend a corrected September
        september = monthly_reconciliation(period=P2, config=config)
        assert (september.status, september.version) == ("PUBLISHED", 2)
        assert september.based_on_release_id == first[P1].release_id
        # September v2 is right: the ground truth, and the in-order run, field by field
        truth, _ = read_truth(Path(e2e_sample.truth_root), P2)
        v2 = _entries(engine, P2)
        assert not _compare_with_truth(v2, truth)
        pd.testing.assert_frame_equal(v2, in_order.entries[P2], check_exact=True)

        # October v1 is marked stale, and the run says so
        assert [(s["period"], s["release_id"]) for s in september.stale] == [(P3, first[P3].release_id)]
        october = registry_db.latest_release(engine, P3)
        assert october.release_id == first[P3].release_id and october.status == "PUBLISHED"
        assert october.stale_since is not None
        assert f"2026-09 v1 (release {first[P2].release_id})" in october.stale_because
        assert f"2026-09 v2 (release {september.release_id})" in october.stale_because
        assert any("made stale: 2026-10 v1" in line for line in september.lines())
        asserting_and_emitting_events_worker.drain()
        events = [
            e for c in AssertingPassthroughEventsClient.all for e in c.events if e.event == "sigap.release.stale"
        ]
        assert len(events) == 1 and events[0].payload["stale_periods"] == [P3]
        assert events[0].payload["stale"][0]["release_id"] == first[P3].release_id
        with get_client(sync_client=True) as client:
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["stale-releases-202609"]))
            )
        assert any(f"| {P3} | 1 | {first[P3].release_id} |" in a.data for a in artifacts)
        assert all("sigap run --period 2026-10 --cascade" in a.data for a in artifacts)
        status = {row["period"]: row for row in registry_status(Settings(data_dir=tmp_path / "data"))}
        assert status[P3]["status"] == "STALE" and status[P2]["version"] == 2

        # what changed since v1: in the summary (counts), the report and the outbox file
        diff = september.version_diff
        assert diff["digests_changed"] == ["dtsen", "dukcapil"] and not diff["base_changed"]
        terminated = sum(n for pair, n in diff["counts"].items() if pair.startswith("TERMINATE -> "))
        assert terminated >= WRONG_DEATHS - 3 and diff["people"] == sum(diff["counts"].values())
        outbox = tmp_path / "data" / "outbox"
        changes = pd.read_csv(outbox / "perubahan_keputusan_202609_v2.csv", sep="|", dtype=str)
        assert len(changes) == diff["people"]
        undone = changes[changes["nik"].isin(dead) & changes["kpj"].notna()]  # full NIKs, names
        assert len(undone) >= WRONG_DEATHS - 3 and (undone["decision_before"] == "TERMINATE").all()
        assert undone["nama"].notna().all()
        assert (outbox / "perubahan_keputusan_202609_v2.csv.sha256").is_file()
        # September v2's worklists list the cases open at its end: none opened in October
        worklists = list((outbox / "verifikasi").glob("*/worklist_202609_v2.csv"))
        assert worklists and not any("RV-202610-" in w.read_text() for w in worklists)
        report = (outbox / "laporan_202609_v2.md").read_text()
        assert "Perubahan sejak versi 1" in report and "menjadi usang" in report  # stale (id)
        assert "2026-10 v1" in report  # the release it made stale, by name
        assert not any(n in report for n in dead)  # counts only in the report
        assert not (outbox / "perubahan_keputusan_202609_v1.csv").exists()

        # re-running October publishes v2, equal to the in-order run, field by field
        again = monthly_reconciliation(period=P3, config=config)
        assert (again.status, again.version, again.based_on_release_id) == ("PUBLISHED", 2, september.release_id)
        assert registry_db.latest_release(engine, P3).stale_since is None
        assert again.version_diff["base_changed"] and not again.version_diff["digests_changed"]
        _assert_same_history(engine, in_order)
        # and a third run has nothing new to publish
        assert monthly_reconciliation(period=P3, config=config).status == "UNCHANGED"

        # a kelurahan answer recorded with `sigap verify-results` for October: October's
        # next run applies it to the case open at the end of September v2
        from core.settings import load_settings
        from sigap.lookups import stage_verification_results

        case = registry_db.open_cases(engine, release_id=september.release_id).iloc[0]
        results = tmp_path / "HASIL_VERIFIKASI_202610.csv"
        results.write_text(
            "CASE_ID|NIK|HASIL|NIK_BARU|CATATAN|PETUGAS|TGL_VERIFIKASI\n"
            f"{case.case_id}|{case.nik}|LAYAK||dicek|Petugas A|2026-10-20\n"
        )
        Path(f"{results}.sha256").write_text(f"{hashlib.sha256(results.read_bytes()).hexdigest()}  {results.name}\n")
        told = stage_verification_results(load_settings(config), results, None)
        assert "1 answers recorded for 2026-10" in told and "1 cases to close" in told
        answered = monthly_reconciliation(period=P3, config=config)
        assert answered.version == 3 and answered.cases_resolved >= 1
        assert "verifikasi_staged" in registry_db.latest_release(engine, P3).input_digests
        assert registry_db.cases(engine).set_index("case_id").loc[case.case_id, "status"] == "RESOLVED_ELIGIBLE"
        assert registry_db.cases(engine, release_id=september.release_id).set_index("case_id").loc[
            case.case_id, "status"] == "OPEN"  # September's state is not rewritten
    finally:
        engine.dispose()


def test_a_cascade_after_a_resend_on_postgresql(in_order, e2e_sample, tmp_path):
    """The same resend, re-run with ``cascade``: September v2 then October v2 in one run,
    on PostgreSQL; the history equals the in-order one."""
    from devkit.bench import throwaway_postgres
    from flows.monthly import monthly_reconciliation

    from tests.conftest import skip_or_fail

    try:
        ctx = throwaway_postgres()
        url = ctx.__enter__()
    except Exception as exc:  # noqa: BLE001 - any connection failure
        skip_or_fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    try:
        tree = _tree(e2e_sample, tmp_path)
        originals, _ = _send_wrong_september(tree)
        config = _config(tmp_path, tree, e2e_sample, database_url=url)
        for period in PERIODS:
            monthly_reconciliation(period=period, config=config)
        _resend(originals)
        summary = monthly_reconciliation(period=P2, config=config, cascade=True)
        assert summary.version == 2
        assert [(c["period"], c["status"], c["version"]) for c in summary.cascade] == [(P3, "PUBLISHED", 2)]
        engine = registry_db.make_engine(url)
        try:
            assert not any(r.stale for r in registry_db.current_releases(engine))
            _assert_same_history(engine, in_order)
        finally:
            engine.dispose()
    finally:
        ctx.__exit__(None, None, None)


def test_two_periods_in_the_wrong_order_on_a_fresh_registry(in_order, e2e_sample, tmp_path):
    """October's queued run starts before September's. With the first period configured
    it is refused before downloading anything, naming what to run; without it October
    becomes the first period, September is refused as earlier, and setting the first
    period then backfilling gives the in-order history."""
    from flows.backfill import backfill
    from flows.monthly import monthly_reconciliation

    tree = _tree(e2e_sample, tmp_path)
    strict = tmp_path / "strict"
    strict.mkdir()
    config = _config(strict, tree, e2e_sample, first_period=P1)
    with pytest.raises(PeriodOutOfOrder) as info:
        monthly_reconciliation(period=P3, config=config)
    message = str(info.value)
    assert "previous period 2026-09 has no published release" in message
    assert "sigap backfill --from 2026-08 --to 2026-10" in message
    assert not (strict / "data" / "downloads").exists()  # refused before any download

    config = _config(tmp_path, tree, e2e_sample)
    october = monthly_reconciliation(period=P3, config=config)  # the first period, no base
    assert october.based_on_release_id is None and october.changes == 0
    with pytest.raises(PeriodOutOfOrder, match="before the registry's first period 2026-10"):
        monthly_reconciliation(period=P2, config=config)
    config = _config(tmp_path, tree, e2e_sample, first_period=P1)
    done = backfill(first=P1, last=P3, config=config)
    assert [(d["period"], d["version"]) for d in done] == [(P1, 1), (P2, 1), (P3, 2)]
    engine = _sqlite(tmp_path)
    try:
        _assert_same_history(engine, in_order)
        # cases opened by October's first run are not in the history now
        cases = registry_db.cases(engine)
        assert cases["opened_period"].le(P3).all()
        assert (cases["periods_open"] <= 3).all()
    finally:
        engine.dispose()


def test_a_backfill_from_an_empty_registry_equals_three_runs(in_order, e2e_sample, tmp_path):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    from flows.backfill import backfill

    config = _config(tmp_path, _tree(e2e_sample, tmp_path), e2e_sample)
    state = backfill(first=P1, last=P3, config=config, return_state=True)
    done = state.result()
    assert [(d["period"], d["status"], d["version"]) for d in done] == [(p, "PUBLISHED", 1) for p in PERIODS]
    engine = _sqlite(tmp_path)
    try:
        _assert_same_history(engine, in_order)
    finally:
        engine.dispose()
    parent_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        parent = client.read_flow_run(parent_id)
        subflows = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id]))
        )
    assert parent.name == f"backfill-{P1}-to-{P3}" and parent.state.is_completed()
    # each period its own reconcile-YYYY-MM subflow run, one after the other
    subflows = sorted(subflows, key=lambda r: r.start_time)
    assert [r.name for r in subflows] == [f"reconcile-{p}" for p in PERIODS]
    assert all(a.end_time <= b.start_time for a, b in zip(subflows, subflows[1:]))


def test_a_backfill_stops_at_the_first_failure(prefect_harness, e2e_sample, tmp_path):
    """Through the command line, as an operator runs it: ``sigap backfill`` stops at the
    broken September with one clean error line (no traceback) saying what was done and
    how to continue; after the provider's resend, the advised command finishes the job."""
    from typer.testing import CliRunner

    from sigap.cli import app

    tree = _tree(e2e_sample, tmp_path)
    broken = _file(tree, DUKCAPIL, P2)
    original = broken.read_bytes()
    broken.write_bytes(original[:1000])  # a broken transfer, old .sha256 kept
    config = _config(tmp_path, tree, e2e_sample)
    runner = CliRunner()
    out = runner.invoke(app, ["backfill", "--from", P1, "--to", P3, "--config", config])
    assert out.exit_code == 2, out.output
    assert isinstance(out.exception, SystemExit) and "Traceback" not in out.output
    message = " ".join(out.output.split())
    assert message.startswith("error: backfill 2026-08..2026-10 stopped at 2026-09")
    assert "SHA-256" in message and "ask the provider to resend" in message
    assert "Done: 2026-08 (PUBLISHED v1)" in message and "Not run: 2026-10" in message
    assert "sigap backfill --from 2026-09 --to 2026-10" in message
    engine = _sqlite(tmp_path)
    try:
        assert [r.period for r in registry_db.current_releases(engine)] == [P1]
    finally:
        engine.dispose()

    broken.write_bytes(original)  # the provider resends
    out = runner.invoke(app, ["backfill", "--from", P2, "--to", P3, "--config", config])
    assert out.exit_code == 0, out.output
    assert "2026-09" in out.output and "2026-10" in out.output and "PUBLISHED" in out.output
    engine = _sqlite(tmp_path)
    try:
        assert [(r.period, r.version) for r in registry_db.current_releases(engine)] == [
            (P1, 1), (P2, 1), (P3, 1)
        ]
    finally:
        engine.dispose()


def test_sigap_run_cascade_re_runs_the_stale_periods(in_order, e2e_sample, tmp_path):
    """``sigap run --period P --cascade`` on the command line: after September's corrected
    resend, one command publishes September v2 and then October v2, which was stale."""
    from typer.testing import CliRunner

    from flows.monthly import monthly_reconciliation
    from sigap.cli import app

    tree = _tree(e2e_sample, tmp_path)
    originals, _ = _send_wrong_september(tree)
    config = _config(tmp_path, tree, e2e_sample)
    for period in PERIODS:
        monthly_reconciliation(period=period, config=config)
    _resend(originals)
    out = CliRunner().invoke(app, ["run", "--period", P2, "--cascade", "--local", "--config", config])
    assert out.exit_code == 0, out.output
    engine = _sqlite(tmp_path)
    try:
        current = {r.period: (r.version, r.stale) for r in registry_db.current_releases(engine)}
        assert current == {P1: (1, False), P2: (2, False), P3: (2, False)}
        _assert_same_history(engine, in_order)
    finally:
        engine.dispose()
