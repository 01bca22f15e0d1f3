"""The rule book against the generator's ground truth at 100,000 residents, two periods:
every planted case gets its expected decision and reasons (precision and recall per reason
are printed, run with -s to see them, and must both be 100%), and every planted change
between the periods is detected with its type, before/after values and source, and no
other."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from domain.changes import detect_changes
from domain.codes import Source
from domain.extracts import SPECS
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from expectations.validate import validate_extract

RESIDENTS = 100_000
PERIODS = ["2026-08", "2026-09"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from devkit.sample import generate

    return generate(tmp_path_factory.mktemp("truth-100k"), residents=RESIDENTS, periods=PERIODS, seed=100_000)


def _frames(sample, period: str, work: Path) -> dict[Source, pd.DataFrame]:
    frames = {}
    for source in Source:
        path = Path(sample.sftp_root) / source.value / SPECS[source].remote_path(period)
        outcome = validate_extract(
            path, SPECS[source], period, work_dir=work, max_reject_share=0.01, row_count_tolerance=0.1,
            previous_rows=None, max_uncompressed_bytes=2**31,
        )
        assert outcome.passed, outcome.failure_message
        frames[source] = outcome.accepted
    return frames


def _reason_sets(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).map(lambda s: frozenset(r for r in s.split(";") if r))


def test_every_planted_case_matches_the_truth(sample, tmp_path):
    from devkit.sample import read_truth

    terminated: frozenset[str] = frozenset()
    report: list[str] = []
    previous_frames = None
    for period in PERIODS:
        frames = _frames(sample, period, tmp_path / period)
        result = reconcile(
            ReconcileInputs(period, frames[Source.DUKCAPIL], frames[Source.DTSEN], frames[Source.BPJSTK],
                            previous_terminated_kpjs=terminated),
            RuleParameters(),
        )
        entries = result.entries
        terminated = frozenset(entries.loc[(entries["decision"] == "TERMINATE") & entries["kpj"].notna(), "kpj"])
        truth, _ = read_truth(Path(sample.truth_root), period)

        participants = truth[truth["kpj"].fillna("") != ""].set_index("kpj")
        got = entries[entries["kpj"].notna()].set_index("kpj")
        assert set(got.index) == set(participants.index), "every participant KPJ has exactly one entry"
        got = got.loc[participants.index]
        expected_reasons = _reason_sets(participants["expected_reasons"])
        got_reasons = _reason_sets(got["reasons"])
        tp, fp, fn = Counter(), Counter(), Counter()
        for exp, act in zip(expected_reasons, got_reasons):
            for r in exp & act:
                tp[r] += 1
            for r in act - exp:
                fp[r] += 1
            for r in exp - act:
                fn[r] += 1
        report.append(f"{period}: {len(participants):,} participants, {len(truth) - len(participants):,} planted residents")
        report.append(f"  {'reason':<22} {'truth':>6} {'found':>6} {'precision':>10} {'recall':>8}")
        for r in sorted(set(tp) | set(fp) | set(fn)):
            precision = tp[r] / (tp[r] + fp[r]) if tp[r] + fp[r] else 1.0
            recall = tp[r] / (tp[r] + fn[r]) if tp[r] + fn[r] else 1.0
            report.append(f"  {r:<22} {tp[r] + fn[r]:>6} {tp[r] + fp[r]:>6} {precision:>10.1%} {recall:>8.1%}")
        wrong_decision = participants.index[participants["expected_decision"].to_numpy() != got["decision"].to_numpy()]
        report.append(f"  decisions: {(len(participants) - len(wrong_decision)):,}/{len(participants):,} as expected")

        residents = truth[truth["kpj"].fillna("") == ""]
        new = entries[entries["kpj"].isna()].set_index("nik")["decision"]
        got_res = residents["nik"].map(new).fillna("NONE")
        ok = [g in str(e).split("|") for g, e in zip(got_res, residents["expected_decision"])]
        report.append(f"  planted residents: {sum(ok):,}/{len(residents):,} as expected")
        print("\n".join(report))
        assert not fp and not fn, f"precision/recall below 100%: FP {dict(fp)} FN {dict(fn)}"
        assert len(wrong_decision) == 0
        assert all(ok)
        report.clear()

        # every planted change detected with its type, values and source; nothing invented
        _, truth_changes = read_truth(Path(sample.truth_root), period)
        if previous_frames is not None:
            changes = detect_changes(
                {s: previous_frames[s] for s in (Source.DUKCAPIL, Source.DTSEN)},
                {s: frames[s] for s in (Source.DUKCAPIL, Source.DTSEN)},
                entries["nik"].dropna(),
                RuleParameters(),
            )

            def as_set(frame):
                cols = ["nik", "change_type", "before", "after", "source"]
                return set(frame[cols].fillna("").astype(str).itertuples(index=False, name=None))

            expected, detected = as_set(truth_changes), as_set(changes)
            print(f"{period}: {len(expected):,} planted changes, {len(detected):,} detected")
            assert expected - detected == set(), f"missed: {sorted(expected - detected)[:5]}"
            assert detected - expected == set(), f"invented: {sorted(detected - expected)[:5]}"
        previous_frames = frames
