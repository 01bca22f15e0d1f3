"""One period's reconciliation: every person in scope gets exactly one decision.

Scope (PROGRAM.md): every current participant (BPJS rows with ``SUMBER_IURAN=APBD_KOTA``
and ``STATUS_KEPESERTAAN=AKTIF``: one entry per KPJ) and every eligible resident not yet
covered (one entry per NIK). The steps, each in its own module:

1. ``domain.matching``: participants to Dukcapil (exact NIK, re-verified correction,
   probable typo blocked on the birth date);
2. ``domain.decisions``: reasons from the matched records and the BPJS list, the
   re-verification outcomes, the most severe decision;
3. ``domain.eligibility``: eligible residents not yet covered;
4. ``domain.quota``: the cap, the priority ranking, ENROLL / WAITLIST, costs;
5. ``domain.explain``: the evidence text.

"Not yet covered" means: no ``AKTIF`` BPJS row of any payer carries the resident's NIK,
*and* no current participant is linked to the resident's record (by a corrected NIK or as
the suggested NIK of a probable typo). The second half is a documented choice: a probable
typo is somebody already paid for, whose NIK is being checked; enrolling the suggested
record as well would pay twice for one person.

Scale: Dukcapil and DTSEN are joined once, on ``int64`` NIK keys, and only the columns a
rule reads are taken; evidence strings are built only for entries in scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from domain.codes import Decision, MatchMethod, Reason
from domain.decisions import (
    ACTIVE,
    REASONS,
    apply_verification,
    code_values,
    decide,
    duplicate_enrollments,
    other_active_payers,
    participant_reasons,
    reasons_text,
    verification_outcomes,
)
from domain.eligibility import age_in_years, eligible_residents
from domain.explain import participant_evidence, resident_evidence
from domain.identity import nik_keys, normalise_nik
from domain.matching import NikIndex, match_participants
from domain.periods import reference_date
from domain.quota import QuotaSummary, allocate, priority_order, summarise
from domain.rules import RuleParameters

__all__ = [
    "CITY_PAYER",
    "ENTRY_COLUMNS",
    "ENTRY_DTYPES",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ParticipantPhase",
    "QuotaSummary",
    "ReconcileInputs",
    "Reconciliation",
    "check_columns",
    "covering_rows",
    "current_participants",
    "participant_entries",
    "participant_facts",
    "participant_phase",
    "reconcile",
    "resident_facts",
]

#: the city as payer (``SUMBER_IURAN``)
CITY_PAYER = "APBD_KOTA"

#: one row per person in scope (``docs/DESIGN.md``)
#: ``kode_pekerjaan`` (Dukcapil ``JENIS_PKRJN``) and ``disabilitas`` (DTSEN's optional
#: ``DISABILITAS``; null without a DTSEN record or a value) are read by no rule: they are
#: kept for the statistics (``domain.statistics``), null where the NIK did not match
ENTRY_COLUMNS: tuple[str, ...] = (
    "nik", "kpj", "nama", "kode_kelurahan", "kode_kecamatan", "desil", "kategori",
    "jenis_kelamin", "umur", "kode_pekerjaan", "disabilitas", "decision", "reasons",
    "match_method", "suggested_nik", "priority_rank", "monthly_contribution_idr",
    "jkm_claim_alert", "evidence",
)  # fmt: skip
ENTRY_DTYPES: dict[str, str] = {
    "nik": "str", "kpj": "str", "nama": "str", "kode_kelurahan": "str",
    "kode_kecamatan": "str", "desil": "Int8", "kategori": "str", "jenis_kelamin": "Int8",
    "umur": "Int16", "kode_pekerjaan": "Int16", "disabilitas": "boolean", "decision": "str",
    "reasons": "str", "match_method": "str", "suggested_nik": "str", "priority_rank": "Int64",
    "monthly_contribution_idr": "int64", "jkm_claim_alert": "bool", "evidence": "str",
}  # fmt: skip

#: the columns reconciliation reads from each source
REQUIRED_COLUMNS = {
    "dukcapil": ("NIK", "NAMA_LGKP", "JENIS_KLMIN", "TGL_LHR", "JENIS_PKRJN", "NO_PROP",
                 "NO_KAB", "STATUS_DASAR", "TGL_PERISTIWA", "KODE_KELURAHAN"),
    "dtsen": ("NIK", "DESIL", "PENERIMA_PKH", "STATUS_KEBERADAAN", "TGL_PEMERINGKATAN"),
    "bpjstk": ("KPJ", "NIK", "NAMA", "TGL_LAHIR", "KATEGORI", "SUMBER_IURAN", "TGL_AKTIF",
               "STATUS_KEPESERTAAN"),
}  # fmt: skip
#: the columns reconciliation copies into the entries when a frame has them (optional in
#: the contract: an extract without them is valid)
OPTIONAL_COLUMNS = {"dtsen": ("DISABILITAS",)}


@dataclass(frozen=True)
class ReconcileInputs:
    """The typed, accepted extracts of one period and what the previous period left."""

    period: str  # 'YYYY-MM'
    dukcapil: pd.DataFrame
    dtsen: pd.DataFrame
    bpjstk: pd.DataFrame
    #: KPJs with TERMINATE in the previous period's latest release
    previous_terminated_kpjs: frozenset[str] = frozenset()
    #: re-verification outcomes that apply this period: ``kpj``, ``nik``, ``hasil``,
    #: ``nik_baru``, ``triggers`` (see ``domain.decisions.verification_outcomes``)
    verified: pd.DataFrame | None = None

    @classmethod
    def from_frames(
        cls,
        period: str,
        frames: Mapping[str, pd.DataFrame],
        previous_terminated_kpjs: Iterable[str] = (),
        verified: pd.DataFrame | None = None,
    ) -> ReconcileInputs:
        """From the typed frames keyed by source (``dukcapil``, ``dtsen``, ``bpjstk``)."""
        return cls(
            period=period,
            dukcapil=frames["dukcapil"],
            dtsen=frames["dtsen"],
            bpjstk=frames["bpjstk"],
            previous_terminated_kpjs=frozenset(previous_terminated_kpjs),
            verified=verified,
        )


@dataclass(frozen=True)
class ParticipantPhase:
    """Steps 1-2 of the rule book for the participants of some inputs, and what step 3
    needs of them (:func:`participant_phase`)."""

    dukcapil_index: NikIndex
    #: the DTSEN row of every Dukcapil row (``-1``: none)
    dtsen_rows: np.ndarray
    facts: pd.DataFrame
    flags: pd.DataFrame
    cleared: pd.Series
    decision: pd.Series
    #: places the participants keep (KEEP and REVERIFY)
    places_used: int
    #: NIK keys already covered: active BPJS participants and the residents they link to
    covered: np.ndarray


def participant_phase(
    inputs: ReconcileInputs, params: RuleParameters, on: date
) -> ParticipantPhase:
    """Match every participant, give the reasons and the decision (steps 1-2), and the
    NIKs they cover; shared by :func:`reconcile` and ``domain.partition``."""
    dukcapil, dtsen, bpjstk = inputs.dukcapil, inputs.dtsen, inputs.bpjstk
    dukcapil_index = NikIndex(dukcapil["NIK"], "dukcapil")
    # the one NIK join of the two big sources: the DTSEN row of every Dukcapil row
    dtsen_rows = NikIndex(dtsen["NIK"], "dtsen").rows_of(dukcapil_index)
    facts = participant_facts(inputs, dukcapil_index, dtsen_rows, on, params)
    flags = participant_reasons(facts, params)
    flags, cleared = apply_verification(flags, facts["hasil"], facts["triggers"])
    decision = decide(flags)
    places_used = int(decision.isin([Decision.KEEP.value, Decision.REVERIFY.value]).sum())
    active = covering_rows(bpjstk)
    linked = np.concatenate([facts["dukcapil_row"].to_numpy(), facts["suggested_row"].to_numpy()])
    covered = np.union1d(
        nik_keys(normalise_nik(bpjstk.loc[active, "NIK"])),
        dukcapil_index.keys[linked[linked >= 0]],
    )
    return ParticipantPhase(
        dukcapil_index, dtsen_rows, facts, flags, cleared, decision, places_used, covered
    )


def covering_rows(bpjstk: pd.DataFrame) -> np.ndarray:
    """The BPJS rows that make their NIK "already covered": ``STATUS_KEPESERTAAN =
    AKTIF``, any payer (``SUMBER_IURAN``)."""
    return (code_values(bpjstk["STATUS_KEPESERTAAN"]) == ACTIVE).to_numpy(dtype=bool)


@dataclass(frozen=True)
class Reconciliation:
    """The outcome of :func:`reconcile`: entries and their totals."""

    period: str
    rules_version: str
    entries: pd.DataFrame  # ENTRY_COLUMNS, one row per person in scope
    quota: QuotaSummary
    counts: dict[str, int]  # per decision, all five keys
    reason_counts: dict[str, int]  # per reason code, all codes


def reconcile(inputs: ReconcileInputs, params: RuleParameters) -> Reconciliation:
    """Apply the rule book to one period (see the module docstring).

    Entries come participants first (by KPJ), then eligible residents by priority rank:
    the same inputs, in any row order, give the same entries.
    """
    on = reference_date(inputs.period)
    check_columns(inputs)
    dukcapil, dtsen = inputs.dukcapil, inputs.dtsen

    # 1-2. participants: match, reasons, decision -----------------------------------
    phase = participant_phase(inputs, params, on)
    dukcapil_index, dtsen_rows = phase.dukcapil_index, phase.dtsen_rows
    facts, flags, cleared, p_decision = phase.facts, phase.flags, phase.cleared, phase.decision
    places_used = phase.places_used

    # 3. eligible residents not yet covered -----------------------------------------
    rows = eligible_residents(dukcapil, dtsen, dtsen_rows, on, params)
    rows = rows[~np.isin(dukcapil_index.keys[rows], phase.covered)]

    # 4. quota: rank, then take everything else already in rank order ----------------
    rows = rows[
        priority_order(
            dtsen["DESIL"].iloc[dtsen_rows[rows]],
            dtsen["PENERIMA_PKH"].iloc[dtsen_rows[rows]],
            dukcapil["TGL_LHR"].iloc[rows],
            dukcapil_index.keys[rows],
        )
    ]
    ranks = np.arange(1, len(rows) + 1, dtype=np.int64)
    residents = resident_facts(dukcapil, dtsen, rows, dtsen_rows[rows], on)
    quota = summarise(places_used, len(residents), params)
    r_decision = allocate(ranks, quota.free_places)

    # 5. entries ----------------------------------------------------------------------
    p_entries = participant_entries(facts, flags, cleared, p_decision, on, params)
    r_entries = _resident_entries(residents, ranks, r_decision, quota.free_places, params)
    entries = pd.concat([p_entries, r_entries], ignore_index=True)
    entries = entries[list(ENTRY_COLUMNS)].astype(ENTRY_DTYPES)

    decisions = entries["decision"].value_counts()
    counts = {d.value: int(decisions.get(d.value, 0)) for d in Decision}
    reason_counts = {r.value: int(flags[r.value].sum()) for r in REASONS}
    return Reconciliation(
        period=inputs.period,
        rules_version=params.rules_version,
        entries=entries,
        quota=quota,
        counts=counts,
        reason_counts=reason_counts,
    )


def check_columns(inputs: ReconcileInputs) -> None:
    for name, needed in REQUIRED_COLUMNS.items():
        frame = getattr(inputs, name)
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise InvalidInput(f"{name} frame lacks columns: {', '.join(missing)}")


def _take(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """``column``'s values at row positions ``rows`` (``-1``: missing), as a fresh
    Series with a range index; integer columns become nullable, booleans ``boolean``."""
    present = rows >= 0
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        dtype = pd.BooleanDtype()
    elif pd.api.types.is_integer_dtype(dtype):
        dtype = pd.api.types.pandas_dtype(f"Int{dtype.itemsize * 8}")
    if not present.any():
        return pd.Series(index=pd.RangeIndex(len(rows)), dtype=dtype)
    values = column.iloc[np.where(present, rows, 0)].reset_index(drop=True).astype(dtype)
    return values.where(present)


def _take_optional(frame: pd.DataFrame, name: str, rows: np.ndarray) -> pd.Series:
    """:func:`_take` of an optional flag column (:data:`OPTIONAL_COLUMNS`): all null
    (``boolean``) when the frame has no such column."""
    if name not in frame.columns:
        return pd.Series(pd.NA, index=pd.RangeIndex(len(rows)), dtype="boolean")
    return _take(frame[name], rows).astype("boolean")


def current_participants(bpjstk: pd.DataFrame) -> pd.DataFrame:
    """City-paid active rows, ordered by KPJ (unique: raises ``ValueError`` otherwise)."""
    current = bpjstk[
        (
            (code_values(bpjstk["SUMBER_IURAN"]) == CITY_PAYER)
            & (code_values(bpjstk["STATUS_KEPESERTAAN"]) == ACTIVE)
        ).to_numpy(dtype=bool)
    ]
    kpj = current["KPJ"].astype("str").str.strip()
    if kpj.isna().any() or kpj.duplicated().any():
        raise InvalidInput("bpjstk: KPJs of current participants must be present and unique")
    order = np.argsort(kpj.to_numpy(dtype=object), kind="stable")
    current = current.iloc[order].reset_index(drop=True)
    return current.assign(KPJ=kpj.iloc[order].to_numpy())


def participant_facts(
    inputs: ReconcileInputs,
    dukcapil_index: NikIndex,
    dtsen_rows: np.ndarray,
    on: date,
    params: RuleParameters,
) -> pd.DataFrame:
    """One row per current participant with everything the rules and the evidence read
    (columns documented in ``domain.decisions``)."""
    dukcapil, dtsen = inputs.dukcapil, inputs.dtsen
    current = current_participants(inputs.bpjstk)
    kpj = current["KPJ"].astype("str")
    outcome = verification_outcomes(inputs.verified, kpj)
    nik_bpjs = normalise_nik(current["NIK"]).astype("str")
    nik_bpjs = nik_bpjs.where(nik_bpjs.str.len() > 0)
    corrected = outcome["nik_baru"].notna().to_numpy(dtype=bool)
    nik = nik_bpjs.where(~corrected, outcome["nik_baru"]).astype("str")
    match = match_participants(
        pd.DataFrame({"NIK": nik, "NAMA": current["NAMA"], "TGL_LAHIR": current["TGL_LAHIR"]}),
        dukcapil,
        params,
        dukcapil_index=dukcapil_index,
        corrected=corrected,
    )
    row = match["dukcapil_row"].to_numpy()
    matched = row >= 0
    d_row = np.full(len(row), -1, dtype=np.int64)
    d_row[matched] = dtsen_rows[row[matched]]

    tgl_lhr = _take(dukcapil["TGL_LHR"], row)
    tgl_lahir = pd.to_datetime(current["TGL_LAHIR"])
    # age from the civil registry once the NIK is confirmed, else from the BPJS list
    born = np.where(
        matched,
        tgl_lhr.to_numpy(dtype="datetime64[ns]"),
        tgl_lahir.to_numpy(dtype="datetime64[ns]"),
    )
    age = age_in_years(born, on)
    facts = pd.DataFrame(
        {
            "kpj": kpj,
            "nik_bpjs": nik_bpjs,
            "nik": nik,
            "nama_bpjs": current["NAMA"].astype("str"),
            "tgl_lahir_bpjs": tgl_lahir,
            "tgl_aktif": pd.to_datetime(current["TGL_AKTIF"]),
            "kategori": current["KATEGORI"].astype("str"),
            "termination_pending": kpj.isin(
                {str(k).strip() for k in inputs.previous_terminated_kpjs}
            ),
            # Dukcapil, where the NIK matched exactly (or as corrected)
            "nama_dukcapil": _take(dukcapil["NAMA_LGKP"], row).astype("str"),
            "tgl_lhr": tgl_lhr,
            "jenis_kelamin": _take(dukcapil["JENIS_KLMIN"], row),
            "jenis_pkrjn": _take(dukcapil["JENIS_PKRJN"], row),
            "no_prop": _take(dukcapil["NO_PROP"], row),
            "no_kab": _take(dukcapil["NO_KAB"], row),
            "status_dasar": _take(dukcapil["STATUS_DASAR"], row).astype("str"),
            "tgl_peristiwa": _take(dukcapil["TGL_PERISTIWA"], row),
            "kode_kelurahan": _take(dukcapil["KODE_KELURAHAN"], row).astype("str"),
            "umur": pd.Series(age).astype("Int16").where(age >= 0),
            # DTSEN, by the matched NIK
            "in_dtsen": d_row >= 0,
            "desil": _take(dtsen["DESIL"], d_row),
            "pkh": _take(dtsen["PENERIMA_PKH"], d_row),
            "status_keberadaan": _take(dtsen["STATUS_KEBERADAAN"], d_row),
            "tgl_pemeringkatan": _take(dtsen["TGL_PEMERINGKATAN"], d_row),
            "disabilitas": _take_optional(dtsen, "DISABILITAS", d_row),
            # re-verification
            "hasil": outcome["hasil"],
            "nik_baru": outcome["nik_baru"],
            "triggers": outcome["triggers"],
        }
    )
    facts = facts.join(match)
    facts = facts.join(duplicate_enrollments(facts["nik"], facts["tgl_aktif"], facts["kpj"]))
    facts = facts.join(other_active_payers(facts["nik"], inputs.bpjstk, CITY_PAYER))
    return facts


def resident_facts(
    dukcapil: pd.DataFrame, dtsen: pd.DataFrame, rows: np.ndarray, d_rows: np.ndarray, on: date
) -> pd.DataFrame:
    """The columns ranking, entries and evidence read, for eligible residents."""
    tgl_lhr = dukcapil["TGL_LHR"].iloc[rows].reset_index(drop=True)
    return pd.DataFrame(
        {
            "nik": dukcapil["NIK"].iloc[rows].reset_index(drop=True).astype("str"),
            "nama": dukcapil["NAMA_LGKP"].iloc[rows].reset_index(drop=True).astype("str"),
            "kode_kelurahan": dukcapil["KODE_KELURAHAN"]
            .iloc[rows]
            .reset_index(drop=True)
            .astype("str"),
            "jenis_kelamin": _take(dukcapil["JENIS_KLMIN"], rows),
            "jenis_pkrjn": _take(dukcapil["JENIS_PKRJN"], rows),
            "tgl_lhr": tgl_lhr,
            "umur": pd.Series(age_in_years(tgl_lhr.to_numpy(dtype="datetime64[ns]"), on)).astype(
                "Int16"
            ),
            "desil": _take(dtsen["DESIL"], d_rows),
            "pkh": _take(dtsen["PENERIMA_PKH"], d_rows).fillna(False).astype(bool),
            "disabilitas": _take_optional(dtsen, "DISABILITAS", d_rows),
        }
    )


def participant_entries(
    facts: pd.DataFrame,
    flags: pd.DataFrame,
    cleared: pd.Series,
    decision: pd.Series,
    on: date,
    params: RuleParameters,
) -> pd.DataFrame:
    matched = facts["dukcapil_row"].to_numpy() >= 0
    paid = decision.isin([Decision.KEEP.value, Decision.REVERIFY.value]).to_numpy(dtype=bool)
    kelurahan = facts["kode_kelurahan"]
    return pd.DataFrame(
        {
            "nik": facts["nik"],
            "kpj": facts["kpj"],
            # the civil registry's name once the NIK is confirmed, else the BPJS one
            "nama": facts["nama_dukcapil"].where(matched, facts["nama_bpjs"]),
            "kode_kelurahan": kelurahan,
            "kode_kecamatan": kelurahan.str[:8],
            "desil": facts["desil"],
            "kategori": facts["kategori"],
            "jenis_kelamin": facts["jenis_kelamin"],
            "umur": facts["umur"],
            "kode_pekerjaan": facts["jenis_pkrjn"],
            "disabilitas": facts["disabilitas"],
            "decision": decision,
            "reasons": reasons_text(flags),
            "match_method": facts["match_method"],
            "suggested_nik": facts["suggested_nik"],
            "priority_rank": pd.Series(pd.NA, index=facts.index, dtype="Int64"),
            "monthly_contribution_idr": np.where(paid, params.monthly_contribution_idr, 0),
            "jkm_claim_alert": flags[Reason.JKM_CLAIM_ALERT.value].to_numpy(dtype=bool),
            "evidence": participant_evidence(facts, flags, decision, cleared, on, params),
        }
    )


def _resident_entries(
    residents: pd.DataFrame,
    ranks: np.ndarray,
    decision: np.ndarray,
    free: int,
    params: RuleParameters,
) -> pd.DataFrame:
    """Entries of eligible residents, who come in rank order (``ranks`` 1..n)."""
    evidence = resident_evidence(residents, ranks, free)
    n = len(residents)
    frame = pd.DataFrame(
        {
            "nik": residents["nik"],
            "kpj": pd.Series(None, index=residents.index, dtype="str"),
            "nama": residents["nama"],
            "kode_kelurahan": residents["kode_kelurahan"],
            "kode_kecamatan": residents["kode_kelurahan"].str[:8],
            "desil": residents["desil"],
            "kategori": pd.Series(None, index=residents.index, dtype="str"),
            "jenis_kelamin": residents["jenis_kelamin"],
            "umur": residents["umur"],
            "kode_pekerjaan": residents["jenis_pkrjn"],
            "disabilitas": residents["disabilitas"],
            "decision": pd.Series(decision, index=residents.index, dtype="str"),
            "reasons": pd.Series("", index=residents.index, dtype="str"),
            # the entry is the civil-registry record itself
            "match_method": pd.Series(
                MatchMethod.NIK_EXACT.value, index=residents.index, dtype="str"
            ),
            "suggested_nik": pd.Series(None, index=residents.index, dtype="str"),
            "priority_rank": pd.Series(ranks, index=residents.index, dtype="Int64"),
            "monthly_contribution_idr": np.where(
                decision == Decision.ENROLL.value, params.monthly_contribution_idr, 0
            ).astype(np.int64),
            "jkm_claim_alert": np.zeros(n, dtype=bool),
            "evidence": evidence,
        }
    )
    return frame
