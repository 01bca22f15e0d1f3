"""The truth of a whole sample against the independent reading of its files (oracle.py):
shared by the truth tests and the tests that force hard cases into a sample."""

from __future__ import annotations

from domain.codes import Decision
from devkit.sample import SampleManifest, read_truth
from devkit.sample.truth import CHANGE_COLUMNS
from tests.unit.sample.oracle import Period, expected_changes, expected_participants


def assert_truth_agrees(sample: SampleManifest) -> None:
    """Participants (decision, reasons, suggested NIK), planted residents (in scope or
    not) and changes of every period, re-derived from the files by the rule book."""
    previous, terminated = None, set()
    for period in sample.periods:
        entries, changes = read_truth(sample.truth_root, period)
        current = Period.load(sample.sftp_root, period)
        part = entries[entries["kpj"] != ""].set_index("kpj")
        derived = expected_participants(current, terminated)
        truth = {
            k: (r.expected_decision, r.expected_reasons, r.suggested_nik)
            for k, r in part.iterrows()
        }
        wrong = {
            k: (part.loc[k, "case"], truth[k], derived[k]) for k in truth if truth[k] != derived[k]
        }
        assert not wrong, (period, wrong)
        eligible = current.eligible_uncovered()
        res = entries[entries["kpj"] == ""]
        in_scope = res["expected_decision"].isin(["ENROLL", "ENROLL|WAITLIST"])
        assert (res["nik"].isin(eligible) == in_scope).all(), res[
            res["nik"].isin(eligible) != in_scope
        ]
        if previous is not None:
            scope = set(current.participants()["NIK"]) | eligible
            scope |= set(previous.participants()["NIK"]) | previous.eligible_uncovered()
            derived_changes = expected_changes(previous, current, scope)
            recorded = set(map(tuple, changes[list(CHANGE_COLUMNS)].to_numpy().tolist()))
            assert recorded == derived_changes, period
        terminated = set(part.index[part["expected_decision"] == Decision.TERMINATE])
        previous = current
