"""Operating the monthly flow: broken deliveries fail the run with an actionable message
and publish nothing; a resend succeeds; a corrected resend publishes v2 and supersedes v1;
an operator can accept a flagged delivery; re-verification results close cases and change
decisions in the next run."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from connectors import registry_db
from domain.extracts import BPJSTK, DTSEN, DUKCAPIL
from core.errors import ChecksumMismatch, ValidationFailed
from core.settings import RuleSettings, Settings, SourcesSettings, to_toml

pytestmark = pytest.mark.prefect
P1, P2, P3 = "2026-08", "2026-09", "2026-10"


@pytest.fixture()
def tree(e2e_sample, tmp_path) -> Path:
    """A private, writable copy of the sample's SFTP tree (served as a local folder)."""
    root = tmp_path / "inbox"
    shutil.copytree(e2e_sample.sftp_root, root)
    return root


def _config(tmp_path: Path, root: Path, e2e_sample, **overrides) -> str:
    from devkit.demo import demo_quota

    settings = Settings(
        data_dir=tmp_path / "data",
        sources=SourcesSettings(kind="local", local_root=root),
        rules=RuleSettings(quota=demo_quota(e2e_sample, P1)),
        **overrides,
    )
    path = tmp_path / "sigap.toml"
    path.write_text(to_toml(settings, include_secrets=True))
    return str(path)


def _file(root: Path, spec, period: str) -> Path:
    return root / spec.source.value / spec.remote_path(period)


def _rewrite(path: Path, edit, *, update_checksum: bool = True) -> None:
    """Rewrite a gzip extract line by line (header kept), optionally with a new .sha256."""
    lines = gzip.decompress(path.read_bytes()).decode("utf-8-sig").splitlines()
    header, rows = lines[0], lines[1:]
    rows = edit(header.split("|"), rows)
    data = gzip.compress(("\n".join([header, *rows]) + "\n").encode(), mtime=0)
    path.write_bytes(data)
    if update_checksum:
        Path(f"{path}.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")


def _engine(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'data' / 'registry.sqlite'}"
    registry_db.upgrade(url)  # the run may have failed before creating the registry
    return registry_db.make_engine(url)


def test_checksum_mismatch_fails_then_resend_succeeds(prefect_harness, e2e_sample, tree, tmp_path):
    from flows.monthly import monthly_reconciliation

    config = _config(tmp_path, tree, e2e_sample)
    bpjs = _file(tree, BPJSTK, P1)
    original = bpjs.read_bytes()
    bpjs.write_bytes(original[: len(original) // 2])  # a broken transfer; old .sha256 kept
    with pytest.raises(ChecksumMismatch) as info:
        monthly_reconciliation(period=P1, config=config)
    assert BPJSTK.file_name(P1) in str(info.value)
    engine = _engine(tmp_path)
    assert registry_db.latest_release(engine, P1) is None  # nothing published
    assert not any((tmp_path / "data" / "outbox").glob("registry_*.csv"))

    bpjs.write_bytes(original)  # the provider resends
    summary = monthly_reconciliation(period=P1, config=config)
    assert summary.status == "PUBLISHED" and summary.version == 1
    engine.dispose()


def test_corrected_resend_publishes_v2_and_supersedes_v1(prefect_harness, e2e_sample, tree, tmp_path):
    from flows.monthly import monthly_reconciliation

    config = _config(tmp_path, tree, e2e_sample)
    first = monthly_reconciliation(period=P1, config=config)
    assert first.version == 1

    def raise_one_desil(header, rows):
        i = header.index("DESIL")
        fields = rows[10].split("|")
        fields[i] = "9" if fields[i].strip() != "9" else "8"
        rows[10] = "|".join(fields)
        return rows

    _rewrite(_file(tree, DTSEN, P1), raise_one_desil)
    second = monthly_reconciliation(period=P1, config=config)
    assert (second.status, second.version, second.superseded_release_id) == ("PUBLISHED", 2, first.release_id)
    engine = _engine(tmp_path)
    statuses = {r.version: r.status for r in registry_db.releases(engine, P1)}
    assert statuses == {1: "SUPERSEDED", 2: "PUBLISHED"}
    assert (tmp_path / "data" / "outbox" / "registry_202608_v2.csv").is_file()
    engine.dispose()


def test_reject_share_fails_validation_until_accepted_by_an_operator(prefect_harness, e2e_sample, tree, tmp_path):
    from flows.monthly import monthly_reconciliation

    config = _config(tmp_path, tree, e2e_sample)
    broken_lines: list[int] = []

    def break_niks(header, rows):
        i = header.index("NIK")
        for n in range(0, 200, 4):  # 50 rows: well above 1% of ~4,000
            fields = rows[n].split("|")
            fields[i] = "12345"
            rows[n] = "|".join(fields)
            broken_lines.append(n + 2)  # header is line 1
        return rows

    _rewrite(_file(tree, DUKCAPIL, P1), break_niks)
    with pytest.raises(ValidationFailed) as info:
        monthly_reconciliation(period=P1, config=config)
    message = str(info.value)
    assert "dukcapil" in message and "nothing was published" in message
    engine = _engine(tmp_path)
    assert registry_db.latest_release(engine, P1) is None
    rejects = pd.read_csv(tmp_path / "data" / "runs" / P1 / "rejects" / "dukcapil_202608_rejects.csv", sep="|", dtype=str)
    assert set(rejects["line"].astype(int)) == set(broken_lines)
    assert set(rejects["column"]) == {"NIK"}
    assert (tmp_path / "data" / "runs" / P1 / "laporan_gagal_202608.md").is_file()

    accepted = monthly_reconciliation(period=P1, config=config, accept_flagged=["dukcapil"])
    assert accepted.status == "PUBLISHED"
    release = registry_db.latest_release(engine, P1)
    assert list(release.accepted_flags) == ["dukcapil"]
    engine.dispose()


def _write_results(root: Path, period: str, rows: list[dict]) -> Path:
    year, month = period.split("-")
    path = root / "verifikasi" / year / month / f"HASIL_VERIFIKASI_{year}{month}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = ["CASE_ID", "NIK", "HASIL", "NIK_BARU", "CATATAN", "PETUGAS", "TGL_VERIFIKASI"]
    text = "|".join(cols) + "\n" + "".join("|".join(str(r.get(c, "")) for c in cols) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    Path(f"{path}.sha256").write_text(f"{hashlib.sha256(text.encode()).hexdigest()}  {path.name}\n")
    return path


def test_case_life_across_three_periods(prefect_harness, e2e_sample, tree, tmp_path):
    """Opened in P1, seen again in P2, answered by the kelurahan with P3's extracts; the
    unanswered ones are escalated; the answers decide P3's entries."""
    from flows.monthly import monthly_reconciliation

    config = _config(tmp_path, tree, e2e_sample)
    monthly_reconciliation(period=P1, config=config)
    s2 = monthly_reconciliation(period=P2, config=config)
    assert s2.cases_seen > 0

    engine = _engine(tmp_path)
    cases = registry_db.open_cases(engine)
    entries = registry_db.release_entries(engine, s2.release_id)
    by_kpj = entries.set_index("kpj")

    def case_for(reason: str):
        for case in cases.itertuples():
            if case.kpj in by_kpj.index and reason in str(by_kpj.loc[case.kpj, "reasons"]).split(";"):
                return case
        raise AssertionError(f"no open case with {reason}")

    layak = case_for("FORMAL_OCCUPATION")
    tidak = case_for("DESIL_ABOVE_LIMIT")
    typo = case_for("NIK_PROBABLE_TYPO")
    suggested = by_kpj.loc[typo.kpj, "suggested_nik"]
    _write_results(tree, P3, [
        {"CASE_ID": layak.case_id, "NIK": layak.nik, "HASIL": "LAYAK", "CATATAN": "bekerja sebagai ojol", "PETUGAS": "Petugas A", "TGL_VERIFIKASI": "2026-10-12"},
        {"CASE_ID": tidak.case_id, "NIK": tidak.nik, "HASIL": "TIDAK_LAYAK", "CATATAN": "mampu", "PETUGAS": "Petugas B", "TGL_VERIFIKASI": "2026-10-13"},
        {"CASE_ID": typo.case_id, "NIK": typo.nik, "HASIL": "NIK_DIKOREKSI", "NIK_BARU": suggested, "PETUGAS": "Petugas C", "TGL_VERIFIKASI": "2026-10-14"},
    ])
    s3 = monthly_reconciliation(period=P3, config=config)
    assert s3.cases_resolved >= 3 and s3.cases_escalated > 0

    p3 = registry_db.release_entries(engine, s3.release_id).set_index("kpj")
    assert p3.loc[layak.kpj, "decision"] == "KEEP" and "VERIFIED_ELIGIBLE" in p3.loc[layak.kpj, "reasons"]
    assert p3.loc[tidak.kpj, "decision"] == "TERMINATE" and "VERIFIED_INELIGIBLE" in p3.loc[tidak.kpj, "reasons"]
    assert p3.loc[typo.kpj, "match_method"] == "NIK_CORRECTED" and p3.loc[typo.kpj, "nik"] == suggested

    status = registry_db.cases(engine).set_index("case_id")["status"]
    assert status[layak.case_id] == "RESOLVED_ELIGIBLE"
    assert status[tidak.case_id] == "RESOLVED_INELIGIBLE"
    assert status[typo.case_id] == "RESOLVED_NIK_CORRECTED"
    escalated = registry_db.open_cases(engine)
    assert escalated["escalated"].any() and (escalated.loc[escalated["escalated"], "periods_open"] > 2).all()
    # the kelurahan worklists of P3 exist and are in Bahasa Indonesia
    worklists = list((tmp_path / "data" / "outbox" / "verifikasi").glob("*/worklist_202610_v1.csv"))
    assert worklists
    header = worklists[0].read_text(encoding="utf-8").splitlines()[0]
    assert "ID Kasus" in header and "Alasan Verifikasi" in header
    engine.dispose()


def test_a_bad_results_file_is_rejected_alone_and_the_advice_works(prefect_harness, e2e_sample, tree, tmp_path):
    """Issue 15, point 4: one duplicated case in the kelurahan's results file used to fail
    the whole month, with advice (``--accept-flagged verifikasi``) that failed too. The
    file is rejected alone (its rejects written, the summary and the report say so,
    nothing of it applied), the month publishes; the advice given (correct the file,
    deliver it again, re-run) works."""
    from flows.monthly import monthly_reconciliation

    config = _config(tmp_path, tree, e2e_sample)
    monthly_reconciliation(period=P1, config=config)
    engine = _engine(tmp_path)
    case = registry_db.open_cases(engine).iloc[0]
    answer = {"CASE_ID": case.case_id, "NIK": case.nik, "HASIL": "LAYAK", "PETUGAS": "Petugas A",
              "TGL_VERIFIKASI": "2026-09-10"}  # fmt: skip
    _write_results(tree, P2, [answer, {**answer, "HASIL": "TIDAK_LAYAK"}])  # the case twice

    s2 = monthly_reconciliation(period=P2, config=config)
    assert s2.status == "PUBLISHED"
    assert s2.verification_rejected and "HASIL_VERIFIKASI_202609.csv" in s2.verification_rejected
    assert "--accept-flagged" not in s2.verification_rejected
    assert "deliver" in s2.verification_rejected  # the advice: a corrected file, delivered again
    assert any("re-verification results file rejected" in line for line in s2.lines())
    rejects = tmp_path / "data" / "runs" / P2 / "rejects" / "verifikasi_202609_rejects.csv"
    assert set(pd.read_csv(rejects, sep="|", dtype=str)["rule"]) == {"DUPLICATE_KEY"}
    assert "Berkas hasil verifikasi ditolak" in Path(s2.report_md).read_text(encoding="utf-8")  # (id)
    assert registry_db.cases(engine).set_index("case_id").loc[case.case_id, "status"] == "OPEN"

    # the advice: the kelurahan corrects the file and delivers it again; the period re-runs
    _write_results(tree, P2, [answer])
    again = monthly_reconciliation(period=P2, config=config)
    assert again.status == "PUBLISHED" and again.version == 2 and not again.verification_rejected
    assert registry_db.cases(engine).set_index("case_id").loc[case.case_id, "status"] == "RESOLVED_ELIGIBLE"
    engine.dispose()


def test_the_same_run_publishes_to_postgresql(prefect_harness, e2e_sample, tree, tmp_path):
    """The flow with the registry on PostgreSQL (the production setting): same code, the URL
    decides; a throwaway database, dropped afterwards."""
    from flows.monthly import monthly_reconciliation
    from devkit.bench import throwaway_postgres

    from tests.conftest import skip_or_fail

    try:
        ctx = throwaway_postgres()
        url = ctx.__enter__()
    except Exception as exc:  # noqa: BLE001 - any connection failure
        skip_or_fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    try:
        config = _config(tmp_path, tree, e2e_sample, database={"url": url})
        first = monthly_reconciliation(period=P1, config=config)
        second = monthly_reconciliation(period=P2, config=config)
        engine = registry_db.make_engine(url)
        assert registry_db.latest_release(engine, P2).release_id == second.release_id
        entries = registry_db.release_entries(engine, first.release_id)
        assert len(entries) == sum(first.counts.values())
        assert second.changes > 0 and len(registry_db.population_changes(engine, second.release_id)) == second.changes
        engine.dispose()
    finally:
        ctx.__exit__(None, None, None)


def test_rerun_revalidates_only_what_changed(prefect_harness, e2e_sample, tree, tmp_path):
    """Validation is cached on the file's digest: an identical re-run re-validates nothing,
    a resend of one source re-validates only that source, --force re-validates all, and a
    cache whose files were deleted is recomputed instead of trusted."""
    from flows.monthly import monthly_reconciliation

    config = _config(tmp_path, tree, e2e_sample)
    rejects = tmp_path / "data" / "runs" / P1 / "rejects"

    def stamps() -> dict[str, int]:
        return {p.name.split("_")[0]: p.stat().st_mtime_ns for p in rejects.glob("*_rejects.csv")}

    monthly_reconciliation(period=P1, config=config)
    first = stamps()
    assert set(first) == {"dukcapil", "dtsen", "bpjstk"}

    monthly_reconciliation(period=P1, config=config)
    assert stamps() == first  # nothing re-validated

    def touch_one_name(header, rows):
        i = header.index("NAMA")
        fields = rows[0].split("|")
        fields[i] = fields[i] + " "  # padding only: same data, new file digest
        rows[0] = "|".join(fields)
        return rows

    _rewrite(_file(tree, DTSEN, P1), touch_one_name)
    monthly_reconciliation(period=P1, config=config)
    after_resend = stamps()
    assert after_resend["dtsen"] != first["dtsen"]
    assert after_resend["dukcapil"] == first["dukcapil"] and after_resend["bpjstk"] == first["bpjstk"]

    monthly_reconciliation(period=P1, config=config, force=True)
    forced = stamps()
    assert all(forced[s] != after_resend[s] for s in forced)

    shutil.rmtree(tmp_path / "data" / "baselines")
    summary = monthly_reconciliation(period=P1, config=config)  # recomputed, not trusted
    assert summary.status == "UNCHANGED"
