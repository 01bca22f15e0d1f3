"""The monthly flow end to end under Prefect's test harness: generated extracts served over
SFTP, consecutive periods, published rows checked against the generator's ground truth
(known by construction, never computed by the reconciliation code)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from connectors import registry_db
from core.settings import RuleSettings, Settings, SourcesSettings, to_toml

pytestmark = pytest.mark.prefect


def _settings(tmp_path: Path, server, **overrides) -> Path:
    settings = Settings(
        data_dir=tmp_path / "data",
        sources=SourcesSettings.served_by(server),
        **overrides,
    )
    config = tmp_path / "sigap.toml"
    config.write_text(to_toml(settings))
    return config


def _compare_with_truth(entries: pd.DataFrame, truth: pd.DataFrame) -> list[str]:
    problems: list[str] = []
    participants = truth[truth["kpj"].fillna("").astype(str) != ""]
    by_kpj = entries[entries["kpj"].notna()].set_index("kpj")
    for row in participants.itertuples():
        if row.kpj not in by_kpj.index:
            problems.append(f"{row.case}: KPJ {row.kpj} has no entry")
            continue
        got = by_kpj.loc[row.kpj]
        expected_reasons = "" if pd.isna(row.expected_reasons) else str(row.expected_reasons)
        if got["decision"] != row.expected_decision or (got["reasons"] or "") != expected_reasons:
            problems.append(
                f"{row.case}: KPJ {row.kpj} expected {row.expected_decision} [{expected_reasons}] "
                f"got {got['decision']} [{got['reasons']}]"
            )
    residents = truth[truth["kpj"].fillna("").astype(str) == ""]
    new = entries[entries["kpj"].isna()].set_index("nik")
    for row in residents.itertuples():
        allowed = set(str(row.expected_decision).split("|"))
        got = new["decision"].get(row.nik) if row.nik in new.index else "NONE"
        if got not in allowed:
            problems.append(f"{row.case}: resident expected {row.expected_decision} got {got}")
    return problems


def test_consecutive_periods_end_to_end(prefect_harness, e2e_sample, sftp_server, tmp_path):
    from flows.monthly import monthly_reconciliation
    from devkit.sample import read_truth

    from devkit.demo import demo_quota

    quota = demo_quota(e2e_sample, e2e_sample.periods[0])
    config = _settings(tmp_path, sftp_server, rules=RuleSettings(quota=quota))
    periods = list(e2e_sample.periods)[:2]
    summaries = [monthly_reconciliation(period=p, config=str(config)) for p in periods]

    engine = registry_db.make_engine(f"sqlite:///{tmp_path / 'data' / 'registry.sqlite'}")
    for period, summary in zip(periods, summaries):
        assert summary.status == "PUBLISHED" and summary.version == 1
        release = registry_db.latest_release(engine, period)
        assert release is not None and release.release_id == summary.release_id
        entries = registry_db.release_entries(engine, release.release_id)
        truth_entries, truth_changes = read_truth(Path(e2e_sample.truth_root), period)
        problems = _compare_with_truth(entries, truth_entries)
        assert not problems, "\n".join(problems[:30])
        # quota: ENROLL never exceeds the free places
        counts = entries["decision"].value_counts()
        free = max(0, quota - counts.get("KEEP", 0) - counts.get("REVERIFY", 0))
        assert counts.get("ENROLL", 0) == min(free, counts.get("ENROLL", 0) + counts.get("WAITLIST", 0))
        # outbox files exist with a matching checksum
        for name in summary.outbox_files:
            path = Path(name)
            if path.suffix == ".sha256":
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert Path(f"{path}.sha256").read_text().split()[0] == digest

    # the second period's changes are exactly the planted ones
    second = summaries[1]
    with engine.connect() as conn:
        got = pd.read_sql(text("SELECT nik, change_type FROM population_change WHERE release_id = :r"), conn,
                          params={"r": second.release_id})
    _, truth_changes = read_truth(Path(e2e_sample.truth_root), periods[1])
    expected = set(zip(truth_changes["nik"].astype(str), truth_changes["change_type"]))
    detected = set(zip(got["nik"].astype(str), got["change_type"]))
    assert expected - detected == set(), f"missed changes: {sorted(expected - detected)[:10]}"
    assert detected - expected == set(), f"invented changes: {sorted(detected - expected)[:10]}"

    # `sigap explain` on what the flow stored (baselines, deliveries, rejects), for the
    # previous period: each planted resident out of scope fails exactly its planted rule
    _explain_planted_residents(config, e2e_sample, periods[0])

    # a re-run with the same inputs and rules publishes nothing new
    again = monthly_reconciliation(period=periods[0], config=str(config))
    assert again.status == "UNCHANGED" and again.version == 1
    assert len(registry_db.releases(engine, periods[0])) == 1
    engine.dispose()


#: the one rule each planted out-of-scope resident fails (devkit.sample.truth.RESIDENT_CASES)
PLANTED_RULE = {
    "too_young_14": "AGE", "too_old_66": "AGE", "desil_6": "DESIL",
    "formal_occupation": "NOT_FORMAL", "tidak_bekerja": "WORKING",
    "keberadaan_2": "DTSEN_PRESENT", "keberadaan_3": "DTSEN_PRESENT",
    "keberadaan_4": "DTSEN_PRESENT", "keberadaan_6": "DTSEN_PRESENT",
    "status_mati": "ALIVE", "status_pindah": "ALIVE", "domicile_kabupaten": "DOMICILE",
    "covered_mandiri": "NOT_COVERED", "covered_apbd_prov": "NOT_COVERED",
    "covered_csr": "NOT_COVERED", "not_in_dtsen": "DTSEN_RECORD",
}  # fmt: skip


def _explain_planted_residents(config: Path, sample, period: str) -> None:
    from core.settings import load_settings
    from devkit.sample import read_truth
    from sigap.explain import explain

    settings = load_settings(config)
    truth, _ = read_truth(Path(sample.truth_root), period)
    residents = truth[truth["kpj"].fillna("").astype(str) == ""]
    checked = 0
    for row in residents.itertuples():
        out = explain(settings, period, nik=row.nik)
        planted = row.case.removeprefix("not_in_scope_")
        if planted in PLANTED_RULE:
            expected = f"outcome: OUT OF SCOPE (not eligible or already covered): {PLANTED_RULE[planted]}"
            assert expected in out.splitlines(), f"{row.case}:\n{out}"
            checked += 1
        else:
            assert "outcome: in scope: " in out, f"{row.case}:\n{out}"
    assert checked >= len(PLANTED_RULE)
