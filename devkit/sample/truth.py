"""The ground truth of a sample, known by construction, and its files.

``truth/YYYY-MM/entries.csv`` and ``changes.csv`` (``|``-separated, UTF-8, LF, header row)
sit outside the SFTP tree. Nothing here calls the domain's rules: every expected decision
and reason was decided when the situation was planted (see :mod:`devkit.sample.plants`),
and every background participant was *constructed* clean. :data:`README` is written
beside them and is the reference for their meaning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from domain.codes import Decision, Reason
from domain.periods import parse_period
from domain.rules import RuleParameters

ENTRY_COLUMNS = ("kpj", "nik", "expected_decision", "expected_reasons", "case", "suggested_nik")
CHANGE_COLUMNS = ("nik", "change_type", "before", "after", "source")

#: expected decision of an eligible, uncovered resident: the quota decides which
ENROLL_OR_WAITLIST = f"{Decision.ENROLL}|{Decision.WAITLIST}"
#: expected decision of a planted resident who must not be in scope at all
NONE = "NONE"
#: marker for the top-priority residents: ENROLL when guaranteed, else ENROLL|WAITLIST
TOP_PRIORITY = "TOP_PRIORITY"

CLEAN_KEEP = "clean_keep"

_SEVERITY = {Decision.TERMINATE: 0, Decision.REVERIFY: 1, Decision.KEEP: 2}


#: Every ``case`` label of ``entries.csv`` and what was planted (the README lists them).
#: Participants first (``kpj`` set), then residents (``kpj`` empty).
PARTICIPANT_CASES: dict[str, str] = {
    CLEAN_KEEP: "background participant constructed clean: KEEP",
    "deceased_after_aktif": "Dukcapil MATI in the period, death after TGL_AKTIF: DECEASED + JKM_CLAIM_ALERT",
    "deceased_on_day_aktif": "died on the day of TGL_AKTIF (on or after): DECEASED + JKM_CLAIM_ALERT",
    "deceased_before_aktif": "near miss: died the day before TGL_AKTIF: DECEASED, no JKM alert",
    "deceased_paid_ahead": "as deceased_after_aktif, BULAN_IURAN_TERAKHIR 1-3 months after the period (money view: billed after death): DECEASED + JKM_CLAIM_ALERT",
    "money_iuran_different": "clean, IURAN_BULANAN 21,800 (UPAH 1,500,000), not the configured 16,800 (money view): KEEP",
    "money_arrears": "clean, BULAN_IURAN_TERAKHIR 2-4 months before the period in every period (money view: arrears): KEEP",
    "moved_out_pindah": "Dukcapil PINDAH in the period: MOVED_OUT",
    "moved_out_kabupaten": "HIDUP but domicile in Kabupaten Bekasi (32.16): MOVED_OUT",
    "moved_out_jakarta": "HIDUP but domicile in Jakarta Timur (31.75): MOVED_OUT",
    "age_66_on_last_day": "66th birthday on the period's last day: AGE_ABOVE_LIMIT",
    "age_above_limit": "aged 67-75: AGE_ABOVE_LIMIT",
    "age_65_on_last_day": "near miss: 65 on the last day of every period (66 the day after the last): KEEP",
    "age_turned_65_on_last_day": "near miss: 65th birthday on the first period's last day: KEEP",
    "duplicate_kept": "same NIK on two city KPJs, earliest TGL_AKTIF: KEEP",
    "duplicate_later": "same NIK, later TGL_AKTIF: DUPLICATE_ENROLLMENT",
    "duplicate_tie_lowest_kpj": "same NIK and TGL_AKTIF, lowest KPJ: KEEP",
    "duplicate_tie_higher_kpj": "same NIK and TGL_AKTIF, higher KPJ: DUPLICATE_ENROLLMENT",
    "duplicate_triple_kept": "same NIK on three city KPJs, earliest: KEEP",
    "duplicate_triple_later": "same NIK on three city KPJs, the two later: DUPLICATE_ENROLLMENT",
    "duplicate_with_nonaktif_keep": "near miss: another city KPJ with the NIK is NONAKTIF: KEEP",
    "nik_unknown": "a well-formed NIK nobody in Dukcapil has, no look-alike: NIK_NOT_FOUND",
    "nik_malformed_15_digits": "NIK with a digit missing: NIK_NOT_FOUND",
    "nik_malformed_letters": "NIK with a letter (O for 0, I for 1): NIK_NOT_FOUND",
    "nik_malformed_spaces": "NIK with spaces inside: NIK_NOT_FOUND",
    "nik_empty": "empty NIK (once per sample): NIK_NOT_FOUND",
    "typo_one_substitution": "one digit substituted, same birth date and name: NIK_PROBABLE_TYPO (suggested_nik)",
    "typo_two_substitutions": "two digits substituted: NIK_PROBABLE_TYPO",
    "typo_transposition": "two adjacent digits swapped: NIK_PROBABLE_TYPO",
    "typo_name_variation": "one substitution, name spelled slightly differently (similarity >= 0.93): NIK_PROBABLE_TYPO",
    "typo_three_edits": "near miss: three digits substituted: NIK_NOT_FOUND",
    "typo_two_candidates": "near miss: one edit from two Dukcapil records (same name and birth date): NIK_NOT_FOUND",
    "typo_name_below_threshold": "near miss: one edit, name similarity 0.855-0.885: NIK_NOT_FOUND",
    "typo_birth_date_differs": "near miss: one edit, another birth date: NIK_NOT_FOUND",
    "identity_birth_date_differs": "exact NIK, BPJS birth date differs: IDENTITY_MISMATCH",
    "identity_name_differs": "exact NIK, somebody else's name (similarity <= 0.75): IDENTITY_MISMATCH",
    "identity_titles_only": "near miss: honorific, titles, case and punctuation only (H. Ahmad Fauzi, S.Kom): KEEP",
    "identity_tiny_name_variation": "near miss: a spelling variant (similarity >= 0.93): KEEP",
    "dtsen_not_in_dtsen": "no DTSEN record: NOT_IN_DTSEN",
    "dtsen_desil_above_limit": "household desil 7-10: DESIL_ABOVE_LIMIT",
    "dtsen_desil_6": "household desil 6: DESIL_ABOVE_LIMIT",
    "desil_5_keep": "near miss: household desil 5: KEEP",
    "dtsen_reported_deceased": "DTSEN STATUS_KEBERADAAN 2, Dukcapil HIDUP: REPORTED_DECEASED",
    "keberadaan_not_present_keep": "near miss: STATUS_KEBERADAAN 3/4/6 (only 2 is a reason): KEEP",
    "formal_occupation": "Dukcapil occupation FORMAL: FORMAL_OCCUPATION",
    "tidak_bekerja_participant_keep": "near miss: occupation TIDAK_BEKERJA (only checked for new enrolments): KEEP",
    "double_funded_mandiri": "the NIK is also AKTIF under MANDIRI: DOUBLE_FUNDED",
    "double_funded_apbd_prov": "also AKTIF under APBD_PROV: DOUBLE_FUNDED",
    "double_funded_csr": "also AKTIF under CSR: DOUBLE_FUNDED",
    "mandiri_nonaktif_keep": "near miss: a NONAKTIF MANDIRI row with the NIK: KEEP",
    "deceased_and_desil": "MATI and desil 8: DECEASED + DESIL_ABOVE_LIMIT + JKM_CLAIM_ALERT",
    "not_found_and_double_funded": "unknown NIK also AKTIF under MANDIRI: NIK_NOT_FOUND + DOUBLE_FUNDED",
    "not_found_duplicate_kept": "unknown NIK on two city KPJs, earliest: NIK_NOT_FOUND",
    "not_found_duplicate_later": "unknown NIK on two city KPJs, later: NIK_NOT_FOUND + DUPLICATE_ENROLLMENT",
    "typo_and_double_funded": "typo NIK also AKTIF under MANDIRI: NIK_PROBABLE_TYPO + DOUBLE_FUNDED",
    "age_and_formal": "aged 70 and FORMAL: AGE_ABOVE_LIMIT + FORMAL_OCCUPATION",
    "desil_and_formal": "desil 9 and FORMAL: DESIL_ABOVE_LIMIT + FORMAL_OCCUPATION",
    "moved_out_and_not_in_dtsen": "domicile 32.16 and no DTSEN record: MOVED_OUT + NOT_IN_DTSEN",
    "identity_and_desil": "birth date differs and desil 7: IDENTITY_MISMATCH + DESIL_ABOVE_LIMIT",
    "termination_pending": "TERMINATE in the previous period yet still AKTIF: its reasons + TERMINATION_PENDING",
    "changed_died": "DIED since the previous period: DECEASED + JKM_CLAIM_ALERT",
    "changed_moved_out_pindah": "MOVED_OUT (PINDAH) since the previous period: MOVED_OUT",
    "changed_moved_out_kabupaten": "MOVED_OUT (domicile to 32.16): MOVED_OUT",
    "changed_moved_within_city": "MOVED_WITHIN_CITY: KEEP",
    "changed_kk": "KK_CHANGED: KEEP",
    "changed_name_minor": "NAME_CHANGED to a close spelling: KEEP",
    "changed_name_major": "NAME_CHANGED to another name (BPJS keeps the old one): IDENTITY_MISMATCH",
    "changed_birth_date": "BIRTH_DATE_CHANGED in Dukcapil (BPJS keeps the old one): IDENTITY_MISMATCH",
    "changed_desil_above": "DESIL_CHANGED to 6-9: DESIL_ABOVE_LIMIT",
    "changed_desil_within": "DESIL_CHANGED within 1-5: KEEP",
    "changed_occupation_formal": "OCCUPATION_CHANGED to FORMAL: FORMAL_OCCUPATION",
    "changed_occupation_informal": "OCCUPATION_CHANGED to another INFORMAL code: KEEP",
    "changed_occupation_tidak_bekerja": "OCCUPATION_CHANGED to TIDAK_BEKERJA (a participant): KEEP",
    "changed_disappeared_dtsen": "DISAPPEARED from DTSEN: NOT_IN_DTSEN",
    "changed_disappeared_dukcapil": "DISAPPEARED from Dukcapil (no MATI/PINDAH): NIK_NOT_FOUND",
}
RESIDENT_CASES: dict[str, str] = {
    "eligible_clean": "eligible, not covered: ENROLL|WAITLIST",
    "eligible_desil_5": "eligible at desil 5: ENROLL|WAITLIST",
    "eligible_age_15": "15th birthday on the first period's last day: ENROLL|WAITLIST",
    "eligible_age_65": "65 in every period (66 the day after the last): ENROLL|WAITLIST",
    "eligible_top_priority": "desil 1, PKH, aged 65: ENROLL when guaranteed (summary.json), else ENROLL|WAITLIST",
    "eligible_city_nonaktif": "eligible with a NONAKTIF city KPJ (not covered): ENROLL|WAITLIST",
    "eligible_other_payer_nonaktif": "eligible with a NONAKTIF MANDIRI row: ENROLL|WAITLIST",
    "not_in_scope_too_young_14": "14 on the last day of every period: NONE",
    "not_in_scope_too_old_66": "66th birthday on the first period's last day: NONE",
    "not_in_scope_desil_6": "desil 6: NONE",
    "not_in_scope_formal_occupation": "FORMAL occupation: NONE",
    "not_in_scope_tidak_bekerja": "TIDAK_BEKERJA occupation (1, 3 or 4): NONE",
    "not_in_scope_keberadaan_2": "DTSEN STATUS_KEBERADAAN 2: NONE",
    "not_in_scope_keberadaan_3": "STATUS_KEBERADAAN 3: NONE",
    "not_in_scope_keberadaan_4": "STATUS_KEBERADAAN 4: NONE",
    "not_in_scope_keberadaan_6": "STATUS_KEBERADAAN 6: NONE",
    "not_in_scope_status_mati": "Dukcapil MATI in the first period (gone afterwards): NONE",
    "not_in_scope_status_pindah": "Dukcapil PINDAH in the first period (gone afterwards): NONE",
    "not_in_scope_domicile_kabupaten": "HIDUP with domicile in 32.16: NONE",
    "not_in_scope_covered_mandiri": "AKTIF under MANDIRI: NONE",
    "not_in_scope_covered_apbd_prov": "AKTIF under APBD_PROV: NONE",
    "not_in_scope_covered_csr": "AKTIF under CSR: NONE",
    "not_in_scope_not_in_dtsen": "no DTSEN record: NONE",
    "changed_moved_within_city": "eligible, MOVED_WITHIN_CITY: ENROLL|WAITLIST",
    "changed_kk": "eligible, KK_CHANGED: ENROLL|WAITLIST",
    "changed_name": "eligible, NAME_CHANGED: ENROLL|WAITLIST",
    "changed_birth_date": "eligible, BIRTH_DATE_CHANGED (still 16-64): ENROLL|WAITLIST",
    "changed_desil_within": "eligible, DESIL_CHANGED within 1-5: ENROLL|WAITLIST",
    "changed_occupation_informal": "eligible, OCCUPATION_CHANGED to another INFORMAL code: ENROLL|WAITLIST",
}


def _case_table() -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = [f"| `{k}` | participant | {cell(v)} |" for k, v in PARTICIPANT_CASES.items()]
    rows += [f"| `{k}` | resident | {cell(v)} |" for k, v in RESIDENT_CASES.items()]
    return (
        "| case | row | what was planted and what is expected |\n| --- | --- | --- |\n"
        + "\n".join(rows)
    )


@dataclass(frozen=True)
class NikGuard:
    """What the matching must find for a participant whose NIK is not in Dukcapil:
    ``intended`` maps person ids to ``match`` (a probable-typo candidate) or ``below``
    (within two edits, same birth date, name similarity just under the threshold); any
    other look-alike in Dukcapil is a construction error and is removed."""

    typed: str
    dob: int
    name: str
    intended: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class ParticipantTruth:
    """Expected outcome for one city-paid KPJ."""

    reasons: tuple[str, ...]
    case: str
    suggested_nik: str = ""
    #: the facts behind a TERMINATE still hold next period (so it may be left pending)
    stable: bool = True
    guard: NikGuard | None = None

    @property
    def decision(self) -> str:
        return decide(self.reasons)

    def with_reason(self, reason: str, case: str | None = None) -> ParticipantTruth:
        return ParticipantTruth(
            tuple(sorted(set(self.reasons) | {reason})),
            case or self.case,
            self.suggested_nik,
            self.stable,
            self.guard,
        )


#: PROGRAM.md's reason table, written out here so that the truth does not depend on the
#: code under test (``JKM_CLAIM_ALERT`` is a flag and decides nothing)
_REASON_DECISION: dict[str, Decision] = {
    "DECEASED": Decision.TERMINATE,
    "MOVED_OUT": Decision.TERMINATE,
    "AGE_ABOVE_LIMIT": Decision.TERMINATE,
    "DUPLICATE_ENROLLMENT": Decision.TERMINATE,
    "TERMINATION_PENDING": Decision.TERMINATE,
    "NIK_NOT_FOUND": Decision.REVERIFY,
    "NIK_PROBABLE_TYPO": Decision.REVERIFY,
    "IDENTITY_MISMATCH": Decision.REVERIFY,
    "NOT_IN_DTSEN": Decision.REVERIFY,
    "DESIL_ABOVE_LIMIT": Decision.REVERIFY,
    "FORMAL_OCCUPATION": Decision.REVERIFY,
    "DOUBLE_FUNDED": Decision.REVERIFY,
    "REPORTED_DECEASED": Decision.REVERIFY,
}


def decide(reasons: tuple[str, ...] | list[str]) -> str:
    """The most severe decision of the reasons (TERMINATE > REVERIFY > KEEP; KEEP when
    there are none)."""
    decisions = [_REASON_DECISION[Reason(r).value] for r in reasons if r != Reason.JKM_CLAIM_ALERT]
    if not decisions:
        return Decision.KEEP.value
    return min(decisions, key=lambda d: _SEVERITY[d]).value


def reasons_of(*reasons: Reason | str) -> tuple[str, ...]:
    return tuple(sorted({str(r) for r in reasons}))


@dataclass
class ResidentTruth:
    """A planted non-participant (one row per NIK, ``kpj`` empty)."""

    pid: int
    case: str
    expected: str  # ENROLL_OR_WAITLIST, NONE or TOP_PRIORITY


@dataclass
class TruthBook:
    """The truth as the generator goes from period to period (mutated at each step)."""

    participants: dict[int, ParticipantTruth] = field(default_factory=dict)
    residents: list[ResidentTruth] = field(default_factory=list)
    changes: dict[int, list[tuple[str, str, str, str, str]]] = field(default_factory=dict)

    def record_change(
        self, k: int, nik: str, change_type: str, before: str, after: str, source: str
    ) -> None:
        self.changes.setdefault(k, []).append((nik, change_type, before, after, source))


@dataclass(frozen=True)
class EnrollGuarantee:
    """Why a top-priority resident is (or is not) certain to be ENROLLed.

    Under the default rules (quota 51,666, no budget cap) free places are at least
    ``quota - city_aktif_kpjs`` (KEEP + REVERIFY entries are at most the active city KPJs).
    Everyone who can rank before or beside a top-priority resident has desil 1, PKH and is
    aged 65 (the oldest eligible age): ``competitors_at_most`` counts all such people in
    both extracts, whatever their other facts. When free places cover them all, ENROLL is
    certain; otherwise the truth says ``ENROLL|WAITLIST``.
    """

    quota: int
    city_aktif_kpjs: int
    competitors_at_most: int

    @property
    def free_places_at_least(self) -> int:
        return max(self.quota - self.city_aktif_kpjs, 0)

    @property
    def guaranteed(self) -> bool:
        return self.free_places_at_least >= self.competitors_at_most

    def as_dict(self) -> dict:
        return {
            "quota_assumed": self.quota,
            "city_aktif_kpjs": self.city_aktif_kpjs,
            "free_places_at_least": self.free_places_at_least,
            "top_priority_competitors_at_most": self.competitors_at_most,
            "guaranteed": self.guaranteed,
            "holds_for_quota_at_least": self.city_aktif_kpjs + self.competitors_at_most,
        }


def participant_frame(city_aktif: pd.DataFrame, book: TruthBook) -> pd.DataFrame:
    """Truth rows for every active city-paid KPJ: planted ones from the book, all others
    ``clean_keep`` (constructed clean)."""
    kpj = city_aktif["kpj"].to_numpy()
    out = pd.DataFrame(
        {
            "kpj": pd.Series(kpj).astype(str),
            "nik": city_aktif["nik"].astype(str).str.strip().to_numpy(),
            "expected_decision": Decision.KEEP.value,
            "expected_reasons": "",
            "case": CLEAN_KEEP,
            "suggested_nik": "",
        }
    )
    planted = {k: t for k, t in book.participants.items()}
    if planted:
        over = pd.DataFrame(
            {
                "kpj": [str(k) for k in planted],
                "expected_decision": [t.decision for t in planted.values()],
                "expected_reasons": [";".join(t.reasons) for t in planted.values()],
                "case": [t.case for t in planted.values()],
                "suggested_nik": [t.suggested_nik for t in planted.values()],
            }
        ).set_index("kpj")
        idx = out["kpj"].isin(over.index)
        rows = over.loc[out.loc[idx, "kpj"]]
        for col in ("expected_decision", "expected_reasons", "case", "suggested_nik"):
            out.loc[idx, col] = rows[col].to_numpy()
    return out.sort_values("kpj", kind="stable").reset_index(drop=True)


def write_truth(
    truth_dir: Path,
    participants: pd.DataFrame,
    residents: pd.DataFrame,
    changes: list[tuple[str, str, str, str, str]],
    summary: dict,
) -> tuple[Path, Path]:
    """Write ``entries.csv``, ``changes.csv`` and ``summary.json`` of one period."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    entries = pd.concat([participants, residents], ignore_index=True)[list(ENTRY_COLUMNS)]
    entries_path = truth_dir / "entries.csv"
    entries.to_csv(entries_path, sep="|", index=False, lineterminator="\n")
    ch = pd.DataFrame(changes, columns=list(CHANGE_COLUMNS))
    ch = ch.sort_values(["nik", "change_type", "source"], kind="stable")
    changes_path = truth_dir / "changes.csv"
    ch.to_csv(changes_path, sep="|", index=False, lineterminator="\n")
    (truth_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return entries_path, changes_path


def read_truth(truth_root: Path | str, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(entries, changes)`` of one period, every column as text (empty string, never
    NaN, for an empty value). See :data:`README` for the columns."""
    parse_period(period)
    folder = Path(truth_root) / period
    opts = {"sep": "|", "dtype": str, "keep_default_na": False, "encoding": "utf-8"}
    entries = pd.read_csv(folder / "entries.csv", **opts)
    changes = pd.read_csv(folder / "changes.csv", **opts)
    return entries, changes


def default_quota() -> int:
    return RuleParameters().quota


README_TEMPLATE = """\
# Ground truth of a SIGAP sample

Written by `devkit.sample.generate`; known *by construction* (no rule code was called to
compute it). One folder per period, `YYYY-MM/`, outside the SFTP tree. All files are
UTF-8, `|`-separated, LF line endings, with a header row; empty means "none".

## entries.csv

| column | meaning |
| --- | --- |
| `kpj` | the KPJ of a city-paid participant; empty for a resident (non-participant) row |
| `nik` | participants: the NIK as typed in the BPJS list, stripped (may be malformed or empty); residents: the Dukcapil NIK |
| `expected_decision` | `KEEP`, `REVERIFY`, `TERMINATE`; residents: `ENROLL`, `ENROLL\\|WAITLIST` (the quota decides) or `NONE` (must *not* be in scope) |
| `expected_reasons` | reason codes, sorted, `;`-joined, `JKM_CLAIM_ALERT` included where it applies; empty for none |
| `case` | what was planted (e.g. `deceased_after_aktif`, `typo_transposition`, `clean_keep`) |
| `suggested_nik` | for `NIK_PROBABLE_TYPO`: the Dukcapil NIK the match must suggest |

Coverage:

* **Every** active city-paid KPJ (`SUMBER_IURAN=APBD_KOTA`, `STATUS_KEPESERTAAN=AKTIF`)
  of the period has exactly one row. Participants not planted on purpose were constructed
  clean (exact NIK, same name and birth date, HIDUP in Kota Bekasi, DTSEN desil 1-5,
  present, INFORMAL occupation, aged 16-64 in every period, no other active payer, one KPJ):
  `case = clean_keep`, `KEEP`, no reason.
* Residents: only **planted** ones have a row (eligible residents, the top-priority ones,
  and near misses that must stay out of scope). Background residents who happen to be
  eligible are not listed: the software will rightly put them in `ENROLL`/`WAITLIST`.

Assumptions: the default rule parameters (`domain.rules.RuleParameters()`: max desil 5,
age 15-65, quota 51,666, no budget cap, name similarity 0.90/0.85, two NIK edits), the
previous period's release as the source of `TERMINATION_PENDING` (the generator assumes it
terminated exactly what the previous truth says), and no re-verification results.
A planted change (below) does not by itself change a decision: a KK change on a
participant leaves the entry `KEEP` (re-verification cases are separate from decisions).

`ENROLL` vs `ENROLL|WAITLIST` for top-priority residents (desil 1, PKH, aged 65): see
`summary.json` -> `enroll_guarantee`. Under the default quota, free places are at least
`quota - active city KPJs`; everyone who could rank before them (desil 1, PKH, aged 65)
is counted, whatever their other facts; when the free places cover that count the truth
says `ENROLL`, otherwise `ENROLL|WAITLIST`. `holds_for_quota_at_least` gives the smallest
quota for which `ENROLL` is certain (a run with a smaller quota must read it as
`ENROLL|WAITLIST`).

## changes.csv

Every planted change between the previous period and this one (empty in the first
period) on a person in scope in *both* periods (a participant, or a planted eligible
resident). No other person in scope changes between periods; background births, people
moving in, and deaths or moves of people who are out of scope are appearances or
changes outside scope and are not listed.

| column | meaning |
| --- | --- |
| `nik` | the person's NIK (for participants: the typed NIK, which is the Dukcapil NIK) |
| `change_type` | `DIED`, `MOVED_OUT`, `MOVED_WITHIN_CITY`, `KK_CHANGED`, `NAME_CHANGED`, `BIRTH_DATE_CHANGED`, `DESIL_CHANGED`, `OCCUPATION_CHANGED`, `DISAPPEARED` |
| `before`, `after` | text: dates ISO `YYYY-MM-DD`; kelurahan `32.75.CC.NNNN`; desil and occupation code as integers; KK and name as in the extract (stripped); `DIED`/`MOVED_OUT` by status: `HIDUP` -> `MATI`/`PINDAH`; `MOVED_OUT` by domicile: kelurahan codes; `DISAPPEARED`: before = last kelurahan (Dukcapil domicile or DTSEN `KODE_WILAYAH`), after empty |
| `source` | `dukcapil` or `dtsen` (each change is made in one source only) |

Deaths and moves of a period leave the next period's Dukcapil extract (the contract:
people whose status changed appear once); that is not a `DISAPPEARED`.

Values containing the separator (`ENROLL|WAITLIST`) are quoted, as CSV does
(`"ENROLL|WAITLIST"`); read the files with a CSV reader (`devkit.sample.read_truth`).

## summary.json

Counts per case and decision, the `enroll_guarantee` figures, and the row counts of the
period's extracts.

## Cases

{cases}
"""

README = README_TEMPLATE.replace("{cases}", _case_table())
