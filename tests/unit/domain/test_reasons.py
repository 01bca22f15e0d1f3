"""Every reason of the rule book through ``reconcile``: a positive case and a near miss
each (table-driven), severity, scope, and the "only on exact match" rule."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.reconcile import ReconcileInputs, Reconciliation, reconcile
from domain.rules import RuleParameters
from tests.unit.domain.frames import PERIOD, person, sources

PARAMS = RuleParameters()
NIK = "3275014101840001"  # woman born 1984-01-01 (day + 40), age 42 on 2026-10-31
KPJ = "10000000001"


def run(
    people, *, extra_bpjs=None, params=PARAMS, terminated=frozenset(), verified=None
) -> Reconciliation:
    src = sources(people, extra_bpjs)
    return reconcile(
        ReconcileInputs(
            period=PERIOD,
            dukcapil=src["dukcapil"],
            dtsen=src["dtsen"],
            bpjstk=src["bpjstk"],
            previous_terminated_kpjs=frozenset(terminated),
            verified=verified,
        ),
        params,
    )


def entry(rec: Reconciliation, kpj: str = KPJ) -> dict:
    rows = rec.entries[rec.entries["kpj"] == kpj]
    assert len(rows) == 1, f"expected one entry for KPJ {kpj}, got {len(rows)}"
    return rows.iloc[0].to_dict()


def reasons(e: dict) -> set[str]:
    return set(e["reasons"].split(";")) if e["reasons"] else set()


# (case id, person overrides, expected reasons, expected decision)
PARTICIPANT_CASES = [
    ("eligible", {}, set(), "KEEP"),
    # DECEASED + JKM_CLAIM_ALERT (death on or after TGL_AKTIF 2025-11-05)
    ("deceased after start", {"duk": {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-10"}},
     {"DECEASED", "JKM_CLAIM_ALERT"}, "TERMINATE"),
    ("deceased on the start day", {"duk": {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2025-11-05"}},
     {"DECEASED", "JKM_CLAIM_ALERT"}, "TERMINATE"),
    ("near miss: died one day before TGL_AKTIF",
     {"duk": {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2025-11-04"}}, {"DECEASED"}, "TERMINATE"),
    # MOVED_OUT
    ("moved out (PINDAH)", {"duk": {"STATUS_DASAR": "PINDAH", "TGL_PERISTIWA": "2026-10-02"}},
     {"MOVED_OUT"}, "TERMINATE"),
    ("domicile Kabupaten Bekasi 32.16", {"duk": {"NO_KAB": 16}}, {"MOVED_OUT"}, "TERMINATE"),
    ("domicile in another province", {"duk": {"NO_PROP": 31, "NO_KAB": 75}}, {"MOVED_OUT"}, "TERMINATE"),
    ("near miss: other kecamatan of the city", {"duk": {"NO_KEC": 12, "NO_KEL": 1001}}, set(), "KEEP"),
    # AGE_ABOVE_LIMIT: 66th birthday on the reference date 2026-10-31
    ("age 66 on the reference date",
     {"duk": {"TGL_LHR": "1960-10-31"}, "bpjs": {"TGL_LAHIR": "1960-10-31"}},
     {"AGE_ABOVE_LIMIT"}, "TERMINATE"),
    ("near miss: one day younger (65)",
     {"duk": {"TGL_LHR": "1960-11-01"}, "bpjs": {"TGL_LAHIR": "1960-11-01"}}, set(), "KEEP"),
    # IDENTITY_MISMATCH
    ("birth date differs", {"bpjs": {"TGL_LAHIR": "1984-01-02"}}, {"IDENTITY_MISMATCH"}, "REVERIFY"),
    ("name similarity 0.84 < 0.85",
     {"duk": {"NAMA_LGKP": "BUDI SANTOSO"}, "bpjs": {"NAMA": "BADU SANTOSA"}},
     {"IDENTITY_MISMATCH"}, "REVERIFY"),
    ("near miss: name similarity 0.86",
     {"duk": {"NAMA_LGKP": "BUDI SANTOSO"}, "bpjs": {"NAMA": "Budy Satrio"}}, set(), "KEEP"),
    ("near miss: titles and case are not a mismatch",
     {"duk": {"NAMA_LGKP": "SITI AMINAH"}, "bpjs": {"NAMA": "Hj. Siti  Aminah, S.Pd."}}, set(), "KEEP"),
    # NOT_IN_DTSEN
    ("no DTSEN record", {"in_dtsen": False}, {"NOT_IN_DTSEN"}, "REVERIFY"),
    # DESIL_ABOVE_LIMIT
    ("desil 6", {"dts": {"DESIL": 6}}, {"DESIL_ABOVE_LIMIT"}, "REVERIFY"),
    ("near miss: desil exactly 5", {"dts": {"DESIL": 5}}, set(), "KEEP"),
    # FORMAL_OCCUPATION
    ("KARYAWAN SWASTA (FORMAL)", {"duk": {"JENIS_PKRJN": 15}}, {"FORMAL_OCCUPATION"}, "REVERIFY"),
    ("near miss: KARYAWAN HONORER (INFORMAL)", {"duk": {"JENIS_PKRJN": 18}}, set(), "KEEP"),
    ("near miss: a participant not working stays", {"duk": {"JENIS_PKRJN": 1}}, set(), "KEEP"),
    # REPORTED_DECEASED
    ("DTSEN says died, Dukcapil alive", {"dts": {"STATUS_KEBERADAAN": 2}},
     {"REPORTED_DECEASED"}, "REVERIFY"),
    ("near miss: DTSEN says moved (3)", {"dts": {"STATUS_KEBERADAAN": 3}}, set(), "KEEP"),
    ("dead in both: DECEASED only",
     {"duk": {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-10"}, "dts": {"STATUS_KEBERADAAN": 2}},
     {"DECEASED", "JKM_CLAIM_ALERT"}, "TERMINATE"),
    # severity: TERMINATE beats REVERIFY, every reason listed
    ("severity: deceased with desil 7",
     {"duk": {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-10", "JENIS_PKRJN": 15},
      "dts": {"DESIL": 7}},
     {"DECEASED", "JKM_CLAIM_ALERT", "DESIL_ABOVE_LIMIT", "FORMAL_OCCUPATION"}, "TERMINATE"),
    # the domicile decides, never the NIK prefix (this NIK was issued in Kabupaten Bekasi)
    ("NIK issued elsewhere, domicile in the city", {"nik": "3216014101840001"}, set(), "KEEP"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "expected", "decision"),
    [pytest.param(o, r, d, id=i) for i, o, r, d in PARTICIPANT_CASES],
)
def test_participant_reason(overrides, expected, decision):
    overrides = dict(overrides)
    nik = overrides.pop("nik", NIK)
    rec = run([person(nik, kpj=KPJ, **overrides)])
    e = entry(rec)
    assert reasons(e) == expected
    assert e["decision"] == decision
    assert e["jkm_claim_alert"] == ("JKM_CLAIM_ALERT" in expected)
    assert e["reasons"] == ";".join(sorted(expected))
    assert e["match_method"] == "NIK_EXACT"
    assert e["monthly_contribution_idr"] == (0 if decision == "TERMINATE" else 16_800)


def test_reasons_counted_per_reason():
    rec = run(
        [
            person(NIK, kpj=KPJ, dts={"DESIL": 6}),
            person(
                "3275015505900002", kpj="10000000002", duk={"JENIS_PKRJN": 15}, dts={"DESIL": 8}
            ),
        ]
    )
    assert rec.reason_counts["DESIL_ABOVE_LIMIT"] == 2
    assert rec.reason_counts["FORMAL_OCCUPATION"] == 1
    assert rec.reason_counts["DECEASED"] == 0
    assert set(rec.counts) == {"KEEP", "REVERIFY", "TERMINATE", "ENROLL", "WAITLIST"}
    assert rec.counts["REVERIFY"] == 2


# -- reasons from the BPJS list and the previous release ----------------------------
def test_duplicate_enrollment_keeps_the_earliest_tgl_aktif():
    p = person(NIK, kpj="10000000009", bpjs={"TGL_AKTIF": "2024-01-01"})
    later = {"NIK": NIK, "KPJ": "10000000001", "TGL_AKTIF": "2025-11-05"}
    rec = run([p], extra_bpjs=[later])
    kept, dup = entry(rec, "10000000009"), entry(rec, "10000000001")
    assert kept["decision"] == "KEEP" and reasons(kept) == set()
    assert dup["decision"] == "TERMINATE" and reasons(dup) == {"DUPLICATE_ENROLLMENT"}
    assert "10000000009" in dup["evidence"]


def test_duplicate_enrollment_ties_on_tgl_aktif_keep_the_lowest_kpj():
    p = person(NIK, kpj="10000000005")
    twins = [{"NIK": NIK, "KPJ": k} for k in ("10000000003", "10000000007")]
    rec = run([p], extra_bpjs=twins)
    assert entry(rec, "10000000003")["decision"] == "KEEP"
    assert reasons(entry(rec, "10000000005")) == {"DUPLICATE_ENROLLMENT"}
    assert reasons(entry(rec, "10000000007")) == {"DUPLICATE_ENROLLMENT"}


def test_near_miss_duplicate_when_the_other_kpj_is_not_active():
    rec = run([person(NIK, kpj=KPJ)], extra_bpjs=[{"NIK": NIK, "KPJ": "10000000000",
                                                     "STATUS_KEPESERTAAN": "NONAKTIF"}])  # fmt: skip
    assert entry(rec)["decision"] == "KEEP"
    assert (rec.entries["kpj"] == "10000000000").sum() == 0  # not a current participant


def test_double_funded_when_also_active_under_another_payer():
    other = {"NIK": NIK, "KPJ": "20000000001", "SUMBER_IURAN": "MANDIRI"}
    e = entry(run([person(NIK, kpj=KPJ)], extra_bpjs=[other]))
    assert reasons(e) == {"DOUBLE_FUNDED"} and e["decision"] == "REVERIFY"
    assert "MANDIRI" in e["evidence"] and "20000000001" in e["evidence"]


def test_near_miss_double_funded_other_payer_inactive():
    other = {
        "NIK": NIK,
        "KPJ": "20000000001",
        "SUMBER_IURAN": "CSR",
        "STATUS_KEPESERTAAN": "NONAKTIF",
    }
    assert entry(run([person(NIK, kpj=KPJ)], extra_bpjs=[other]))["decision"] == "KEEP"


def test_termination_pending_when_still_active():
    e = entry(run([person(NIK, kpj=KPJ)], terminated={KPJ}))
    assert reasons(e) == {"TERMINATION_PENDING"} and e["decision"] == "TERMINATE"


def test_near_miss_termination_pending_other_kpj():
    e = entry(run([person(NIK, kpj=KPJ)], terminated={"10000000002"}))
    assert e["decision"] == "KEEP"


def test_terminated_and_now_inactive_is_out_of_scope():
    rec = run([person(NIK, kpj=KPJ, bpjs={"STATUS_KEPESERTAAN": "NONAKTIF"})], terminated={KPJ})
    assert (rec.entries["kpj"] == KPJ).sum() == 0


# -- only on exact match ----------------------------------------------------------------
def test_unmatched_participant_gets_no_record_based_reason():
    """An unknown NIK whose (unlinked) civil record would be dead: NIK_NOT_FOUND only."""
    unknown = "3275019999990001"
    p = person(NIK, kpj=None, duk={"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-10"})
    bp = {"NIK": unknown, "KPJ": KPJ, "TGL_LAHIR": "1950-01-01"}  # also too old, irrelevant
    e = entry(run([p], extra_bpjs=[bp]))
    assert reasons(e) == {"NIK_NOT_FOUND"} and e["decision"] == "REVERIFY"
    assert e["match_method"] == "NONE" and pd.isna(e["kode_kelurahan"])
    assert e["umur"] == 76  # from the BPJS birth date while the NIK is unconfirmed


def test_unmatched_participant_keeps_list_based_reasons():
    unknown = "3275019999990001"
    rows = [
        {"NIK": unknown, "KPJ": "10000000001", "TGL_AKTIF": "2020-01-01"},
        {"NIK": unknown, "KPJ": "10000000002", "TGL_AKTIF": "2021-01-01"},
        {"NIK": unknown, "KPJ": "20000000003", "SUMBER_IURAN": "APBD_PROV"},
    ]
    rec = run([person(NIK, kpj=None)], extra_bpjs=rows, terminated={"10000000001"})
    assert reasons(entry(rec, "10000000001")) == {
        "NIK_NOT_FOUND",
        "DOUBLE_FUNDED",
        "TERMINATION_PENDING",
    }
    assert reasons(entry(rec, "10000000002")) == {
        "NIK_NOT_FOUND",
        "DOUBLE_FUNDED",
        "DUPLICATE_ENROLLMENT",
    }
    assert entry(rec, "10000000002")["decision"] == "TERMINATE"


@pytest.mark.parametrize(
    "bad_nik", ["", "327501410184001", "32750141018400O1", "3275 0141 0184 0001"]
)
def test_malformed_bpjs_nik_is_a_matching_outcome(bad_nik):
    p = person(NIK, kpj=None, duk={"NAMA_LGKP": "JOKO WIDODO"})  # no name/typo link
    e = entry(run([p], extra_bpjs=[{"NIK": bad_nik or None, "KPJ": KPJ}]))
    assert e["decision"] == "REVERIFY" and reasons(e) == {"NIK_NOT_FOUND"}


# -- non-participants: scope and the four rules ------------------------------------------
NON_PARTICIPANT_CASES = [
    ("eligible", {}, True),
    ("near miss: desil exactly 5", {"dts": {"DESIL": 5}}, True),
    ("desil 6", {"dts": {"DESIL": 6}}, False),
    ("turns 15 on the reference date", {"duk": {"TGL_LHR": "2011-10-31"}}, True),
    ("one day younger: 14", {"duk": {"TGL_LHR": "2011-11-01"}}, False),
    ("65 (one day younger than 66)", {"duk": {"TGL_LHR": "1960-11-01"}}, True),
    ("66 on the reference date", {"duk": {"TGL_LHR": "1960-10-31"}}, False),
    ("not working (TIDAK_BEKERJA)", {"duk": {"JENIS_PKRJN": 1}}, False),
    ("pupil (TIDAK_BEKERJA)", {"duk": {"JENIS_PKRJN": 3}}, False),
    ("formal occupation", {"duk": {"JENIS_PKRJN": 5}}, False),
    ("DTSEN: moved (3)", {"dts": {"STATUS_KEBERADAAN": 3}}, False),
    ("DTSEN: not found (6)", {"dts": {"STATUS_KEBERADAAN": 6}}, False),
    ("not in DTSEN", {"in_dtsen": False}, False),
    ("dead", {"duk": {"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-10-01"}}, False),
    ("moved out", {"duk": {"STATUS_DASAR": "PINDAH", "TGL_PERISTIWA": "2026-10-01"}}, False),
    ("domicile Kabupaten Bekasi", {"duk": {"NO_KAB": 16}}, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "in_scope"), [pytest.param(o, s, id=i) for i, o, s in NON_PARTICIPANT_CASES]
)
def test_non_participant_eligibility(overrides, in_scope):
    rec = run([person(NIK, kpj=None, **overrides)])
    rows = rec.entries[rec.entries["nik"] == NIK]
    assert len(rows) == int(in_scope)
    if in_scope:
        e = rows.iloc[0]
        assert e["decision"] == "ENROLL" and e["reasons"] == "" and pd.isna(e["kpj"])
        assert e["priority_rank"] == 1 and e["monthly_contribution_idr"] == 16_800


@pytest.mark.parametrize(
    ("payer", "status", "covered"),
    [("MANDIRI", "AKTIF", True), ("CSR", "AKTIF", True), ("APBD_KOTA", "NONAKTIF", False),
     ("MANDIRI", "NONAKTIF", False)],
)  # fmt: skip
def test_covered_by_any_active_payer(payer, status, covered):
    bp = {"NIK": NIK, "KPJ": "20000000001", "SUMBER_IURAN": payer, "STATUS_KEPESERTAAN": status}
    rec = run([person(NIK, kpj=None)], extra_bpjs=[bp])
    enrolled = rec.entries[(rec.entries["nik"] == NIK) & rec.entries["kpj"].isna()]
    assert len(enrolled) == int(not covered)
    assert (rec.entries["kpj"] == "20000000001").sum() == 0  # never a current participant


def test_suggested_record_of_a_probable_typo_is_not_enrolled_again():
    typo = NIK[:-1] + "2"  # one substitution
    rec = run([person(NIK, kpj=None)], extra_bpjs=[{"NIK": typo, "KPJ": KPJ}])
    e = entry(rec)
    assert e["match_method"] == "NIK_PROBABLE_TYPO" and e["suggested_nik"] == NIK
    assert len(rec.entries) == 1  # the suggested resident is not ENROLLed on top
