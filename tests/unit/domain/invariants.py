"""Invariants of a reconciliation, checked on generated populations
(``test_reconcile_properties``) and on a synthetic city (``test_reconcile``)."""

from __future__ import annotations

from domain.decisions import severity_of
from domain.reconcile import ENTRY_COLUMNS, ENTRY_DTYPES, ReconcileInputs, Reconciliation


def check_scope(inputs: ReconcileInputs, rec: Reconciliation) -> None:
    """One entry per current KPJ, one per eligible uncovered NIK, nobody else."""
    e = rec.entries
    assert list(e.columns) == list(ENTRY_COLUMNS)
    assert {c: str(t) for c, t in e.dtypes.items()} == ENTRY_DTYPES
    bp = inputs.bpjstk
    current = bp[(bp["SUMBER_IURAN"] == "APBD_KOTA") & (bp["STATUS_KEPESERTAAN"] == "AKTIF")]
    participants = e[e["kpj"].notna()]
    assert sorted(participants["kpj"]) == sorted(current["KPJ"])  # each current KPJ once
    assert participants["decision"].isin(["KEEP", "REVERIFY", "TERMINATE"]).all()
    residents = e[e["kpj"].isna()]
    assert residents["nik"].is_unique
    assert residents["decision"].isin(["ENROLL", "WAITLIST"]).all()
    active_niks = set(bp.loc[bp["STATUS_KEPESERTAAN"] == "AKTIF", "NIK"].dropna())
    assert not set(residents["nik"]) & active_niks  # nobody covered is enrolled again
    assert set(residents["nik"]) <= set(inputs.dukcapil["NIK"])
    assert sum(rec.counts.values()) == len(e)


def check_severity(rec: Reconciliation) -> None:
    """A participant's decision is the most severe of its (sorted, unique) reasons;
    record-based reasons only on an exact match; the JKM alert only with DECEASED."""
    p = rec.entries[rec.entries["kpj"].notna()]
    assert (p["decision"] == severity_of(p["reasons"])).all()
    for text in p["reasons"]:
        codes = text.split(";") if text else []
        assert codes == sorted(set(codes))
    alert = rec.entries["jkm_claim_alert"]
    assert rec.entries.loc[alert, "reasons"].str.contains("DECEASED").all()
    assert (alert == rec.entries["reasons"].str.contains("JKM_CLAIM_ALERT")).all()
    unmatched = p["match_method"].isin(["NONE", "NIK_PROBABLE_TYPO"])
    record_based = "DECEASED|MOVED_OUT|AGE_ABOVE|IDENTITY|NOT_IN_DTSEN|DESIL_ABOVE|FORMAL|REPORTED"
    assert not p.loc[unmatched, "reasons"].str.contains(record_based).any()  # no guesses


def check_quota(inputs: ReconcileInputs, rec: Reconciliation) -> None:
    """ENROLL fills at most the free places, by rank; ranks are total and follow the keys."""
    e, q = rec.entries, rec.quota
    used = int(e["decision"].isin(["KEEP", "REVERIFY"]).sum())
    assert q.places_used == used
    assert q.free_places == max(0, q.cap - used)
    ranked = e[e["decision"].isin(["ENROLL", "WAITLIST"])]
    assert rec.counts["ENROLL"] == min(q.free_places, len(ranked)) <= q.free_places
    assert sorted(ranked["priority_rank"]) == list(range(1, len(ranked) + 1))
    assert e.loc[e["kpj"].notna(), "priority_rank"].isna().all()
    enrolled = ranked[ranked["decision"] == "ENROLL"]["priority_rank"]
    assert (enrolled.max() if len(enrolled) else 0) == len(enrolled)  # the first ranks
    # the ranks follow the keys: desil, PKH first, older first, NIK
    keys = (
        ranked[["nik", "priority_rank"]]
        .merge(inputs.dtsen[["NIK", "DESIL", "PENERIMA_PKH"]], left_on="nik", right_on="NIK")
        .merge(inputs.dukcapil[["NIK", "TGL_LHR"]], left_on="nik", right_on="NIK")
        .assign(no_pkh=lambda f: ~f["PENERIMA_PKH"])
    )
    assert len(keys) == len(ranked)
    ordered = keys.sort_values(["DESIL", "no_pkh", "TGL_LHR", "nik"])["priority_rank"]
    assert ordered.tolist() == list(range(1, len(ranked) + 1))
    assert q.monthly_cost_idr == int(e["monthly_contribution_idr"].sum())
