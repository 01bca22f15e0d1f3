"""The callers of ``domain.cases.apply_verification_results`` (issue 15, points 4 and 12):
the monthly flow's ``read_verification`` task and ``sigap verify-results``
(``sigap.lookups``) pass every case of the registry, closed ones with their status, so
that a result for a closed case is ``CASE_CLOSED`` (it was ``UNKNOWN_CASE``); a result
dated after the period is ``FUTURE_DATE`` (it was applied with that date); a results
file that fails validation is rejected alone (the month goes on)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from connectors import registry_db as db
from connectors.sftp import FetchedFile
from domain.changes import empty_changes
from core.settings import Settings

PERIOD = "2026-09"
COLUMNS = ["CASE_ID", "NIK", "HASIL", "NIK_BARU", "CATATAN", "PETUGAS", "TGL_VERIFIKASI"]
NIKS = {f"RV-{i}": f"32750141019000{i:02d}" for i in (1, 2, 3)}


def _results(folder: Path, rows: list[tuple[str, str]]) -> FetchedFile:
    """A results file with (case id, TGL_VERIFIKASI) rows, all LAYAK, and its .sha256."""
    path = folder / "HASIL_VERIFIKASI_202609.csv"
    lines = ["|".join(COLUMNS)] + [
        f"{case}|{NIKS[case]}|LAYAK|||PETUGAS A|{when}" for case, when in rows
    ]
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    Path(f"{path}.sha256").write_text(f"{digest}  {path.name}\n")
    return FetchedFile(path=path, sha256=digest, size=len(data), remote=str(path))


def _request(period: str, entries: pd.DataFrame, **kw) -> db.PublishRequest:
    return db.PublishRequest(
        period=period, rules_version="r",
        input_digests={"dukcapil": "0" * 64, "dtsen": "1" * 64, "bpjstk": "2" * 64},
        flow_run_id=None, counts=entries["decision"].value_counts().to_dict(),
        monthly_cost_idr=0, quota=10, entries=entries, changes=empty_changes(), **kw,
    )  # fmt: skip


def _registry_with_cases(settings: Settings):
    """A registry whose 2026-08 release (the base of 2026-09) has cases RV-1 and RV-3
    open and RV-2 closed: opened by 2026-07, RV-2 answered TIDAK_LAYAK in 2026-08."""
    url = settings.database_url
    db.upgrade(url)
    engine = db.make_engine(url)
    from tests.integration.db.conftest import sample_entries

    entries = sample_entries().iloc[:3].assign(
        nik=list(NIKS.values()), kpj=["10000000001", "10000000002", "10000000003"]
    )
    opened = pd.DataFrame(
        {"case_id": list(NIKS), "nik": list(NIKS.values()), "kpj": entries["kpj"],
         "kode_kelurahan": "32.75.01.1001", "triggers": "DESIL_CHANGED", "evidence": "x"}
    )  # fmt: skip
    july = db.publish_release(engine, _request("2026-07", entries, case_plan=db.CasePlanRows(opened=opened)))
    seen = pd.DataFrame(
        {"case_id": ["RV-1", "RV-3"], "triggers": "DESIL_CHANGED", "kode_kelurahan": "32.75.01.1001",
         "periods_open": 2, "escalated": False}
    )  # fmt: skip
    resolved = pd.DataFrame(
        {"case_id": ["RV-2"], "status": ["RESOLVED_INELIGIBLE"],
         "resolved_at": pd.to_datetime(["2026-08-25"]), "resolution_note": ["TIDAK_LAYAK"],
         "resolved_by": ["PETUGAS B"], "nik_baru": [None]}
    )  # fmt: skip
    db.publish_release(engine, _request(
        "2026-08", entries, based_on_release_id=july.release_id,
        case_plan=db.CasePlanRows(seen=seen, resolved=resolved),
    ))  # fmt: skip
    return engine


ROWS = [("RV-1", "2026-09-10"), ("RV-2", "2026-09-11"), ("RV-3", "2026-10-02")]


@pytest.mark.prefect
def test_read_verification_tells_closed_cases_and_future_dates(prefect_harness, tmp_path):
    from tasks.publish import read_verification

    settings = Settings(data_dir=tmp_path / "data")
    engine = _registry_with_cases(settings)
    all_cases = db.cases(engine)
    engine.dispose()
    out = read_verification(settings, PERIOD, _results(tmp_path, ROWS), all_cases)
    assert out.rejected is None
    assert out.resolved["case_id"].tolist() == ["RV-1"]
    assert out.problems[["case_id", "problem"]].values.tolist() == [
        ["RV-2", "CASE_CLOSED"],
        ["RV-3", "FUTURE_DATE"],
    ]


@pytest.mark.prefect
def test_read_verification_rejects_a_bad_file_alone(prefect_harness, tmp_path):
    from tasks.publish import read_verification

    settings = Settings(data_dir=tmp_path / "data")
    engine = _registry_with_cases(settings)
    all_cases = db.cases(engine)
    engine.dispose()
    out = read_verification(settings, PERIOD, _results(tmp_path, [ROWS[0], ROWS[0]]), all_cases)
    assert out.rejected and "DUPLICATE_KEY" in out.rejected and "--accept-flagged" not in out.rejected
    assert out.resolved is None and out.problems is None
    # what was verified before still applies: RV-2's verdict (closed by an officer)
    assert out.verified["hasil"].tolist() == ["TIDAK_LAYAK"]
    rejects = settings.data_dir / "runs" / PERIOD / "rejects" / "verifikasi_202609_rejects.csv"
    assert rejects.is_file()


def test_verify_results_tells_closed_cases_and_future_dates(tmp_path):
    from sigap.lookups import stage_verification_results

    settings = Settings(data_dir=tmp_path / "data")
    engine = _registry_with_cases(settings)
    fetched = _results(tmp_path, ROWS)
    said = stage_verification_results(settings, fetched.path, PERIOD)
    assert "1 cases to close" in said
    assert "case RV-2: CASE_CLOSED" in said and "case RV-3: FUTURE_DATE" in said
    # the answers are recorded for the runs of 2026-09 to apply; no release is rewritten
    assert len(db.answers(engine, PERIOD)) == 3
    status = db.cases(engine).set_index("case_id")["status"]
    assert status.to_dict() == {"RV-1": "OPEN", "RV-2": "RESOLVED_INELIGIBLE", "RV-3": "OPEN"}
    engine.dispose()
