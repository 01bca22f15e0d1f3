"""Readable evidence for every decision, and one person's explanation for ``sigap explain``.

``evidence`` (a column of the entries) holds one clause per reason, in the order of the
``reasons`` column, each naming its source, field and values, e.g.::

    DESIL_ABOVE_LIMIT: DTSEN desil 7 (ranked 2025-10-01), maximum 5
    DECEASED: Dukcapil STATUS_DASAR=MATI on 2026-09-14
    NIK_PROBABLE_TYPO: suggested 3275014101800123, birth date 1980-02-01 equal, name
        similarity 0.96, 1 digit edit

``KEEP``, ``ENROLL`` and ``WAITLIST`` entries also get a short positive clause
(``ELIGIBLE: desil 3, age 42, occupation 84 PEDAGANG (INFORMAL), PKH``), and ENROLL /
WAITLIST their ``PRIORITY``. Clauses are separated by :data:`CLAUSE_SEPARATOR`. Evidence
is a deliverable (it is published with the registry), so it may carry full NIKs and
KPJs, but never a name. Everything is built by string operations on whole columns, each
clause only over the rows that have its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from domain.codes import Decision, Reason
from domain.decisions import REASONS
from domain.eligibility import MOVED
from domain.privacy import mask_name, mask_nik
from domain.reference import occupations
from domain.rules import RuleParameters

CLAUSE_SEPARATOR = "; "
ELIGIBLE = "ELIGIBLE"
PRIORITY = "PRIORITY"
CLEARED = "CLEARED"


# -- vectorised formatting -------------------------------------------------------------
def _dates(values: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` text; ``unknown`` for missing dates."""
    arr = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    text = np.datetime_as_string(arr, unit="D")
    return pd.Series(np.where(np.isnat(arr), "unknown", text), index=values.index, dtype="str")


def _ints(values: pd.Series) -> pd.Series:
    """Integers as text; ``?`` for missing values."""
    num = pd.to_numeric(values).astype("Int64")
    return num.astype("str").fillna("?").astype("str")


def _fixed(values: pd.Series, digits: int = 2) -> pd.Series:
    """Decimals as text with ``digits`` places; ``?`` for missing values."""
    num = pd.to_numeric(values).to_numpy(dtype=float)
    text = np.char.mod(f"%.{digits}f", np.nan_to_num(num))
    return pd.Series(np.where(np.isnan(num), "?", text), index=values.index, dtype="str")


def _text(values: pd.Series, missing: str = "?") -> pd.Series:
    return values.astype("str").fillna(missing)


@cache
def _occupation_labels() -> pd.Index:
    """``84 PEDAGANG (INFORMAL)`` at position = code (``0 unknown``, ``7 ?`` for codes
    missing from the reference): unique labels, usable as categories."""
    ref = occupations().set_index("kode")
    labels = [
        f"{code} {ref.at[code, 'nama']} ({ref.at[code, 'kelompok']})"
        if code in ref.index
        else f"{code} ?"
        for code in range(int(ref.index.max()) + 1)
    ]
    labels[0] = "unknown"
    return pd.Index(labels, dtype="str")


def occupation_label(codes: pd.Series) -> pd.Series:
    """Occupation codes as ``84 PEDAGANG (INFORMAL)`` (``unknown`` when missing or out of
    range). Categorical under the hood: one label per code, not per person."""
    labels = _occupation_labels()
    c = pd.to_numeric(codes).fillna(0).to_numpy(dtype=np.int64)
    c = np.where((c > 0) & (c < len(labels)), c, 0)
    cat = pd.Categorical.from_codes(c, categories=labels)
    return pd.Series(cat, index=codes.index).astype("str")


class _Evidence:
    """Accumulates clauses column-wise: each ``add`` touches only its rows."""

    def __init__(self, index: pd.Index) -> None:
        self.text = pd.Series("", index=index, dtype="str")

    def add(self, mask: np.ndarray, clause: pd.Series) -> None:
        """Append ``clause`` (one value per row where ``mask`` is true) to those rows."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        current = self.text[mask]
        joined = current + CLAUSE_SEPARATOR + clause  # clause carries the masked rows' index
        self.text[mask] = joined.where(current != "", clause)


def eligible_clause(
    desil: pd.Series, umur: pd.Series, jenis_pkrjn: pd.Series, pkh: pd.Series
) -> pd.Series:
    """``ELIGIBLE: desil 3, age 42, occupation 84 PEDAGANG (INFORMAL)[, PKH]``.

    Written once per distinct (desil, age, occupation, PKH), a few thousand for the half
    million residents of a city's registry, then spread to the rows."""
    columns = [desil, umur, jenis_pkrjn, pd.Series(pkh.fillna(False).to_numpy(dtype=bool))]
    key = np.zeros(len(desil), dtype=np.int64)
    levels = []
    for column in columns:  # one code per value (null included), then one per combination
        part, values = pd.factorize(pd.Series(column).reset_index(drop=True), use_na_sentinel=False)
        key = key * (len(values) + 1) + part
        levels.append((part, values))
    codes, _ = pd.factorize(key)
    first = np.full(codes.max() + 1 if len(codes) else 0, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]  # a row of each combination
    parts = [pd.Series(values.take(part[first])) for part, values in levels]
    text = (
        f"{ELIGIBLE}: desil "
        + _ints(parts[0])
        + ", age "
        + _ints(parts[1])
        + ", occupation "
        + occupation_label(parts[2])
        + pd.Series(np.where(parts[3].to_numpy(dtype=bool), ", PKH", ""), dtype="str")
    )
    return pd.Series(text.array.take(codes), index=desil.index)


# -- one clause builder per reason: rows that have the reason in, clause text out ----------
ClauseBuilder = Callable[[pd.DataFrame, date, RuleParameters], pd.Series]


def _fixed_text(f: pd.DataFrame, text: str) -> pd.Series:
    return pd.Series(text, index=f.index, dtype="str")


def _deceased(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return "Dukcapil STATUS_DASAR=MATI on " + _dates(f["tgl_peristiwa"])


def _jkm_claim_alert(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    known = pd.to_datetime(f["tgl_aktif"]).notna().to_numpy(dtype=bool)
    start = (" on or after TGL_AKTIF " + _dates(f["tgl_aktif"])).where(
        known, "; TGL_AKTIF unknown (BPJS delivered none readable): check the coverage start"
    )
    return "died " + _dates(f["tgl_peristiwa"]) + start + ", the heirs may claim the JKM benefit"


def _moved_out(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    moved = (f["status_dasar"].astype("str") == MOVED).fillna(False).to_numpy(dtype=bool)
    status = "Dukcapil STATUS_DASAR=PINDAH on " + _dates(f["tgl_peristiwa"])
    domicile = (
        "Dukcapil domicile NO_PROP=" + _ints(f["no_prop"]) + " NO_KAB=" + _ints(f["no_kab"])
        + ", outside 32.75"
    )  # fmt: skip
    return status.where(moved, domicile)


def _age_above_limit(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return (
        "age " + _ints(f["umur"]) + f" on {on.isoformat()} (Dukcapil TGL_LHR "
        + _dates(f["tgl_lhr"]) + f"), maximum {params.max_age}"
    )  # fmt: skip


def _duplicate_enrollment(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return (
        "same NIK on active city-paid KPJ " + _text(f["kept_kpj"]) + " (TGL_AKTIF "
        + _dates(f["kept_tgl_aktif"]) + "), which is kept"
    )  # fmt: skip


def _termination_pending(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _fixed_text(
        f,
        "TERMINATE in the previous period's release, BPJS still lists "
        "STATUS_KEPESERTAAN=AKTIF: send the deactivation again",
    )


def _nik_not_found(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    nik = f["nik"].astype("str").fillna("")
    malformed = ~nik.str.fullmatch(r"\d{16}").to_numpy(dtype=bool)
    candidates = pd.to_numeric(f["typo_candidates"]).to_numpy()
    ambiguous = (
        ", " + pd.Series(candidates, index=f.index).astype("str")
        + " Dukcapil records fit the typo rule (ambiguous, none suggested)"
    )  # fmt: skip
    return (
        "BPJS NIK " + nik.where(nik != "", "(empty)")
        + _fixed_text(f, " (not 16 digits)").where(malformed, "")
        + " not in Dukcapil"
        + ambiguous.where(candidates >= 2, ", no probable match")
    )  # fmt: skip


def _nik_probable_typo(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    one = (pd.to_numeric(f["nik_edits"]) == 1).fillna(False).to_numpy(dtype=bool)
    return (
        "suggested " + _text(f["suggested_nik"]) + ", birth date " + _dates(f["tgl_lahir_bpjs"])
        + " equal, name similarity " + _fixed(f["name_similarity"]) + ", "
        + _ints(f["nik_edits"]) + _fixed_text(f, " digit edits").where(~one, " digit edit")
    )  # fmt: skip


def _identity_mismatch(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    birth_differs = ~f["birth_date_equal"].fillna(False).to_numpy(dtype=bool)
    similarity = f["name_similarity"].fillna(0).to_numpy(dtype=float)
    name_differs = similarity < params.mismatch_name_similarity
    birth = (
        "BPJS TGL_LAHIR " + _dates(f["tgl_lahir_bpjs"])
        + " vs Dukcapil TGL_LHR " + _dates(f["tgl_lhr"])
    )  # fmt: skip
    name = (
        "name similarity " + _fixed(f["name_similarity"])
        + f" (minimum {params.mismatch_name_similarity:.2f})"
    )  # fmt: skip
    return (birth + ", " + name).where(
        birth_differs & name_differs, birth.where(birth_differs, name)
    )


def _not_in_dtsen(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return "NIK " + _text(f["nik"]) + " has no DTSEN record"


def _desil_above_limit(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return (
        "DTSEN desil " + _ints(f["desil"]) + " (ranked " + _dates(f["tgl_pemeringkatan"])
        + f"), maximum {params.max_desil}"
    )  # fmt: skip


def _formal_occupation(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return "Dukcapil occupation " + occupation_label(f["jenis_pkrjn"])


def _double_funded(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return "also AKTIF under " + _text(f["other_payer"]) + " (KPJ " + _text(f["other_kpj"]) + ")"


def _reported_deceased(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return (
        "DTSEN STATUS_KEBERADAAN=2 (died, ranked " + _dates(f["tgl_pemeringkatan"])
        + ") but Dukcapil STATUS_DASAR=HIDUP"
    )  # fmt: skip


def _nik_corrected(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return (
        "re-verification corrected BPJS NIK " + _text(f["nik_bpjs"], "(empty)")
        + " to " + _text(f["nik"])
    )  # fmt: skip


def _verified_eligible(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _fixed_text(f, "re-verification (LAYAK) confirmed eligible")


def _verified_ineligible(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _fixed_text(f, "re-verification (TIDAK_LAYAK) found not eligible")


#: the clause of every reason (``REASON: ...``), given the rows that have it
CLAUSES: dict[Reason, ClauseBuilder] = {
    Reason.DECEASED: _deceased,
    Reason.JKM_CLAIM_ALERT: _jkm_claim_alert,
    Reason.MOVED_OUT: _moved_out,
    Reason.AGE_ABOVE_LIMIT: _age_above_limit,
    Reason.DUPLICATE_ENROLLMENT: _duplicate_enrollment,
    Reason.TERMINATION_PENDING: _termination_pending,
    Reason.NIK_NOT_FOUND: _nik_not_found,
    Reason.NIK_PROBABLE_TYPO: _nik_probable_typo,
    Reason.IDENTITY_MISMATCH: _identity_mismatch,
    Reason.NOT_IN_DTSEN: _not_in_dtsen,
    Reason.DESIL_ABOVE_LIMIT: _desil_above_limit,
    Reason.FORMAL_OCCUPATION: _formal_occupation,
    Reason.DOUBLE_FUNDED: _double_funded,
    Reason.REPORTED_DECEASED: _reported_deceased,
    Reason.NIK_CORRECTED: _nik_corrected,
    Reason.VERIFIED_ELIGIBLE: _verified_eligible,
    Reason.VERIFIED_INELIGIBLE: _verified_ineligible,
}


def participant_evidence(
    facts: pd.DataFrame,
    flags: pd.DataFrame,
    decision: pd.Series,
    cleared: pd.Series,
    on: date,
    params: RuleParameters,
) -> pd.Series:
    """Evidence for current participants, from their facts (see ``domain.decisions``),
    reason flags, decision and the reasons a re-verification cleared: one clause per
    reason (:data:`CLAUSES`), then what was cleared, then ``ELIGIBLE`` for KEEP."""
    ev = _Evidence(facts.index)
    for reason in REASONS:
        has = flags[reason.value].to_numpy(dtype=bool)
        if has.any():
            ev.add(has, f"{reason.value}: " + CLAUSES[reason](facts[has], on, params).astype("str"))
    was_cleared = (cleared.astype("str").fillna("") != "").to_numpy(dtype=bool)
    if was_cleared.any():
        ev.add(was_cleared, f"{CLEARED}: " + cleared[was_cleared] + " by re-verification (LAYAK)")
    keep = (decision == Decision.KEEP.value).to_numpy(dtype=bool) & facts["in_dtsen"].to_numpy(bool)
    if keep.any():
        f = facts[keep]
        ev.add(keep, eligible_clause(f["desil"], f["umur"], f["jenis_pkrjn"], f["pkh"]))
    return ev.text


def resident_evidence(facts: pd.DataFrame, ranks: np.ndarray, free_places: int) -> pd.Series:
    """Evidence for eligible residents not yet covered (ENROLL / WAITLIST): the eligible
    clause and ``PRIORITY: rank 12 of 3,456 (free places 100)``."""
    return (
        eligible_clause(facts["desil"], facts["umur"], facts["jenis_pkrjn"], facts["pkh"])
        + f"{CLAUSE_SEPARATOR}{PRIORITY}: rank "
        + pd.Series(ranks, index=facts.index).astype("str")
        + f" of {len(facts):,} (free places {free_places:,})"
    )


# -- one person, for `sigap explain` ---------------------------------------------------
_NIK_IN_TEXT = re.compile(r"(?<!\d)\d{16}(?!\d)")


def _value(entry: Mapping[str, object], key: str) -> object:
    value = entry.get(key)
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    return value


def explain_entry(entry: Mapping[str, object], *, reveal: bool = False) -> list[str]:
    """One entry (a row of the entries, as a mapping) as readable lines: who, decision,
    reasons, match, place, contribution, then the evidence one clause per line.

    NIKs are masked and the name shown as initials unless ``reveal`` is set (the
    operator's own look-up); evidence clauses get the same masking.
    """
    nik = _value(entry, "nik")
    name = _value(entry, "nama")
    shown_nik = (str(nik) if reveal else mask_nik(nik)) if nik is not None else "(none)"
    shown_name = (str(name) if reveal else mask_name(name)) if name is not None else "(none)"
    kpj = _value(entry, "kpj")
    who = f"KPJ {kpj}, NIK {shown_nik}" if kpj is not None else f"NIK {shown_nik}"
    reasons = str(_value(entry, "reasons") or "")
    lines = [
        f"{who}: {shown_name}",
        f"  decision      {_value(entry, 'decision')}",
        f"  reasons       {', '.join(reasons.split(';')) if reasons else '(none)'}",
        f"  match         {_value(entry, 'match_method') or '-'}",
    ]
    suggested = _value(entry, "suggested_nik")
    if suggested is not None:
        lines.append(f"  suggested NIK {suggested if reveal else mask_nik(suggested)}")
    place = _value(entry, "kode_kelurahan")
    lines.append(f"  kelurahan     {place if place is not None else '(unknown)'}")
    details = []
    for key, label in (("desil", "desil"), ("umur", "age"), ("kategori", "category")):
        if _value(entry, key) is not None:
            details.append(f"{label} {_value(entry, key)}")
    if details:
        lines.append(f"  facts         {', '.join(details)}")
    rank = _value(entry, "priority_rank")
    if rank is not None:
        lines.append(f"  priority rank {int(rank):,}")  # type: ignore[call-overload]
    contribution = _value(entry, "monthly_contribution_idr")
    if contribution is not None:
        lines.append(f"  contribution  Rp{int(contribution):,} per month")  # type: ignore[call-overload]
    if bool(_value(entry, "jkm_claim_alert")):
        lines.append("  JKM claim alert: the heirs may claim the JKM death benefit")
    evidence = str(_value(entry, "evidence") or "")
    if evidence:
        if not reveal:
            evidence = _NIK_IN_TEXT.sub(lambda m: mask_nik(m.group(0)), evidence)
        lines.append("  evidence")
        lines.extend(f"    - {clause}" for clause in evidence.split(CLAUSE_SEPARATOR))
    return lines


def explain_person(
    entries: pd.DataFrame,
    *,
    nik: str | None = None,
    kpj: str | None = None,
    reveal: bool = False,
) -> list[str]:
    """The readable explanation of every entry of one person (by NIK or by KPJ; a NIK
    can have several entries, e.g. duplicate enrolments), for ``sigap explain``.

    Raises ``ValueError`` (with the NIK masked) when there is no such entry.
    """
    if not nik and not kpj:
        raise ValueError("explain_person needs a nik or a kpj")
    mask = pd.Series(False, index=entries.index)
    if nik:
        mask |= (entries["nik"].astype("str") == nik.strip()).fillna(False)
        if "suggested_nik" in entries:
            mask |= (entries["suggested_nik"].astype("str") == nik.strip()).fillna(False)
    if kpj:
        mask |= (entries["kpj"].astype("str") == kpj.strip()).fillna(False)
    found = entries[mask.to_numpy(dtype=bool)]
    if found.empty:
        who = f"NIK {mask_nik(nik)}" if nik else f"KPJ {kpj}"
        raise ValueError(f"no entry for {who} in these entries")
    lines: list[str] = []
    for record in found.to_dict("records"):
        if lines:
            lines.append("")
        lines.extend(explain_entry(record, reveal=reveal))
    return lines
