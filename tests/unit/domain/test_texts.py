"""The text catalogue (domain.texts): every code has words in both languages, and the
published English evidence reads back into Bahasa Indonesia (the worklists' "Bukti")."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from domain.cases import person_triggers
from domain.changes import empty_changes
from domain.codes import ChangeType, Decision, Reason
from domain.explain import CLAUSES, translate_evidence
from domain.reconcile import ReconcileInputs, reconcile
from domain.rules import RuleParameters
from domain.texts import CATALOGUE, Lang, fields, pattern, render, text, variants
from domain.worklist import worklists
from tests.unit.domain.frames import PERIOD, person, sources

NIK = "3275014101840001"


def test_every_key_has_both_languages_and_the_same_values():
    for key, templates in CATALOGUE.items():
        assert set(templates) == set(Lang), key
        assert all(t.strip() for t in templates.values()), f"{key}: empty text"
        # the Indonesian text needs no value the English one does not have (it may leave
        # some out: the citizen's letter shows no KPJ)
        assert set(fields(templates[Lang.ID])) <= set(fields(templates[Lang.EN])), key


@pytest.mark.parametrize("kind,codes", [("reason", Reason), ("change", ChangeType),
                                        ("decision", Decision)])  # fmt: skip
def test_every_code_has_words(kind, codes):
    for code in codes:
        assert f"{kind}.{code.value}" in CATALOGUE, f"{kind}.{code.value}"


def test_every_reason_has_an_evidence_template():
    assert set(CLAUSES) == set(Reason)
    for reason in Reason:
        assert variants(f"evidence.{reason.value}"), reason


def _sample_values(key: str) -> dict[str, str]:
    # distinct values that look like real ones (digits, dates, codes, spaces)
    samples = {"nik": "3275 0141 0184 0001", "payer": "APBD_PROV", "source": "dtsen",
               "reasons": "NOT_IN_DTSEN, DESIL_ABOVE_LIMIT", "date": "unknown"}  # fmt: skip
    return {
        name: samples.get(name, f"v{i}-{name} (x)")
        for i, name in enumerate(fields(CATALOGUE[key][Lang.EN]))
    }


@pytest.mark.parametrize("key", sorted(k for k in CATALOGUE if k.startswith("evidence.")))
def test_each_evidence_template_reads_back_into_indonesian(key):
    values = _sample_values(key)
    index = pd.RangeIndex(1)
    english = render(key, Lang.EN, index, **values).iloc[0]
    assert pattern(key).match(english)
    code = key.split(".")[1]
    if code == "CHANGE":
        clause = f"{ChangeType.KK_CHANGED.value}: {english}"
    else:
        clause = f"{code}: {english}"
    got = translate_evidence(pd.Series([clause]), Lang.ID).iloc[0]
    assert got != clause, f"{key} was not read back"
    for name, value in values.items():  # the values survive (codes and markers in words)
        if name in ("payer", "source", "reasons", "date"):
            continue
        assert value in got, (key, name, got)
    assert got[0].isupper()


def test_codes_and_markers_are_put_in_words():
    got = translate_evidence(
        pd.Series(
            [
                "DOUBLE_FUNDED: also AKTIF under MANDIRI (KPJ 21933618081)",
                "CLEARED: NOT_IN_DTSEN by re-verification (LAYAK)",
                "DECEASED: Dukcapil STATUS_DASAR=MATI on unknown",
                "DESIL_CHANGED: 3 -> 7 (dtsen); KK_CHANGED: 1 -> 2 (dukcapil)",
                "MOVED_OUT: 32.75.01.1001 -> 32.16.01.2001 (dukcapil)",  # the change, not the reason
                "NIK_NOT_FOUND: BPJS NIK (empty) (not 16 digits) not in Dukcapil, no probable match",
            ]
        )
    )
    assert got.tolist() == [
        "Juga AKTIF dengan pembayar sendiri (mandiri) (KPJ 21933618081)",
        "Tidak terdaftar di DTSEN dinyatakan selesai oleh verifikasi ulang (LAYAK)",
        "Dukcapil mencatat meninggal dunia (STATUS_DASAR=MATI) pada tidak diketahui",
        "Desil DTSEN berubah: 3 -> 7 (DTSEN); Nomor KK berubah: 1 -> 2 (Dukcapil)",
        "Pindah ke luar Kota Bekasi: 32.75.01.1001 -> 32.16.01.2001 (Dukcapil)",
        (
            "NIK BPJS (kosong) (bukan 16 digit) tidak ditemukan di Dukcapil, tidak ada "
            "kecocokan yang mungkin"
        ),
    ]


def test_unknown_clauses_stay_as_published_and_the_index_is_kept():
    evidence = pd.Series(["SOMETHING: from an older rules version", "", None], index=[7, 7, 3])
    got = translate_evidence(evidence)
    assert got.tolist() == ["SOMETHING: from an older rules version", "", ""]
    assert got.index.tolist() == [7, 7, 3]
    assert translate_evidence(evidence, Lang.EN).tolist()[0] == evidence.iloc[0]


# every situation of the rule book with a clause, reconciled for real
SITUATIONS = [
    person("3275014101840002", kpj="10000000002", dts={"DESIL": 7}),
    person("3275014101840003", kpj="10000000003",
           duk={"STATUS_DASAR": "MATI", "TGL_PERISTIWA": "2026-09-14"}),
    person("3275014101840004", kpj="10000000004",
           duk={"STATUS_DASAR": "PINDAH", "TGL_PERISTIWA": "2026-10-02"}),
    person("3275014101840005", kpj="10000000005", duk={"NO_KAB": 16}),
    person("3275014101840006", kpj="10000000006", duk={"TGL_LHR": "1950-05-01"},
           bpjs={"TGL_LAHIR": "1950-05-01"}),
    person("3275014101840007", kpj="10000000007", bpjs={"TGL_LAHIR": "1984-02-01"}),
    person("3275014101840008", kpj="10000000008", bpjs={"NAMA": "JOKO WIDODO"}),
    person("3275014101840009", kpj="10000000009", in_dtsen=False),
    person("3275014101840010", kpj="10000000010", duk={"JENIS_PKRJN": 15}),
    person("3275014101840011", kpj="10000000011", dts={"STATUS_KEBERADAAN": 2}),
    person("3275014101840012", kpj="10000000012", dts={"PENERIMA_PKH": True}),
    person("3275014101840013", kpj=None, duk={"TGL_LHR": "1991-05-05"}),
    person("3275014101840014", kpj=None),
]  # fmt: skip
EXTRA_BPJS = [
    {"NIK": "3275014101840012", "KPJ": "10000000020"},  # duplicate enrolment
    {"NIK": "3275014101840010", "KPJ": "10000000021", "SUMBER_IURAN": "MANDIRI"},
    {"NIK": "3275014101840099", "KPJ": "10000000022", "TGL_LAHIR": "1990-03-03"},  # not found
    {"NIK": "12345", "KPJ": "10000000023"},  # malformed
    {"NIK": "3275014101840031", "KPJ": "10000000024", "NAMA": "SITI AMINA",
     "TGL_LAHIR": "1991-05-05"},  # a probable typo of ...0013
    {"NIK": "3275014101840019", "KPJ": "10000000025"},  # ambiguous: many look-alikes
]  # fmt: skip


def test_every_clause_of_a_real_reconciliation_reads_back():
    src = sources(SITUATIONS, EXTRA_BPJS)
    rec = reconcile(
        ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"],
                        previous_terminated_kpjs=frozenset({"10000000002"})),
        RuleParameters(),
    )  # fmt: skip
    evidence = rec.entries["evidence"]
    codes = set(evidence.str.findall(r"(?:^|; )([A-Z_]+): ").explode().dropna())
    assert len(codes) >= 14, codes  # most reasons, ELIGIBLE and PRIORITY are there
    got = translate_evidence(evidence)
    clauses = got.str.split("; ").explode()
    untranslated = clauses[clauses.str.match(r"^[A-Z_]+: ").fillna(False)]
    assert untranslated.empty, untranslated.tolist()
    english = re.compile(r"\b(?:not in|has no|maximum|ranked|outside|on or after|suggested|"
                         r"similarity|also AKTIF under|age \d)\b")  # fmt: skip
    assert not clauses.str.contains(english).any(), clauses[clauses.str.contains(english)].tolist()


def test_worklist_evidence_is_in_indonesian_and_the_registry_keeps_english():
    src = sources(SITUATIONS, EXTRA_BPJS)
    rec = reconcile(ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"]),
                    RuleParameters())  # fmt: skip
    people = person_triggers(rec.entries, empty_changes())
    before = rec.entries["evidence"].copy()
    cases = people.assign(case_id=[f"RV-202610-{i:06d}" for i in range(len(people))],
                          periods_open=1, status="OPEN")  # fmt: skip
    sheets = worklists(cases, rec.entries, PERIOD, 1)
    bukti = pd.concat([s["Bukti"] for s in sheets.values()])
    assert len(bukti) == len(people) > 5
    assert bukti.str.contains("NIK BPJS 3275014101840099 tidak ditemukan di Dukcapil, "
                              "tidak ada kecocokan yang mungkin", regex=False).any()  # fmt: skip
    assert bukti.str.contains("Desil DTSEN 7 (pemeringkatan 2026-07-01), batas maksimum 5",
                              regex=False).any()  # fmt: skip
    assert not bukti.str.contains(r"\bnot in Dukcapil\b|\bmaximum\b").any()
    pd.testing.assert_series_equal(rec.entries["evidence"], before)  # the registry: English


def test_text_fills_and_ignores_extra_values():
    assert text("rule.DESIL.fail", Lang.EN, desil=7, max=5, other="x") == "DTSEN desil 7, maximum 5"
    assert text("rule.NOT_COVERED.fail", "id", payer="sendiri (mandiri)", kpj="1") == (
        "sudah terdaftar aktif di BPJS Ketenagakerjaan, iuran dibayar sendiri (mandiri)"
    )
