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

from core.errors import InvalidInput
from domain.codes import ChangeType, Decision, Reason
from domain.decisions import REASONS
from domain.eligibility import MOVED
from domain.privacy import mask_name, mask_nik
from domain.reference import occupations
from domain.rules import RuleParameters
from domain.texts import CATALOGUE, Lang, describe, fields, pattern, render, text, variants

CLAUSE_SEPARATOR = "; "
ELIGIBLE = "ELIGIBLE"
PRIORITY = "PRIORITY"
CLEARED = "CLEARED"


# -- vectorised formatting -------------------------------------------------------------
def _dates(values: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` text; ``unknown`` for missing dates."""
    arr = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    iso = np.datetime_as_string(arr, unit="D")
    unknown = text("value.unknown")
    return pd.Series(np.where(np.isnat(arr), unknown, iso), index=values.index, dtype="str")


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
    values = {"desil": _ints(parts[0]), "age": _ints(parts[1]), "occupation": occupation_label(parts[2])}
    index = parts[0].index
    lead = f"{ELIGIBLE}: "
    plain = render("evidence.ELIGIBLE", Lang.EN, index, prefix=lead, **values)
    pkh = render("evidence.ELIGIBLE.pkh", Lang.EN, index, prefix=lead, **values)
    clause = plain.where(~parts[3].to_numpy(dtype=bool), pkh)
    return pd.Series(clause.array.take(codes), index=desil.index)


def priority_clause(
    ranks: pd.Series, total: int, free_places: int, lead: str = ""
) -> pd.Series:
    """``PRIORITY: rank 12 of 3,456 (free places 100)`` for each rank, after ``lead``."""
    return render(
        "evidence.PRIORITY", Lang.EN, ranks.index, prefix=f"{lead}{PRIORITY}: ",
        rank=ranks.astype("str"), total=f"{total:,}", free=f"{free_places:,}",
    )  # fmt: skip


# -- one clause builder per reason: rows that have the reason in, clause text out ----------
ClauseBuilder = Callable[[pd.DataFrame, date, RuleParameters], pd.Series]


def _en(key: str, f: pd.DataFrame, **values: pd.Series | str) -> pd.Series:
    """The English template ``evidence.<key>`` (``domain.texts``) over the rows of ``f``."""
    return render(f"evidence.{key}", Lang.EN, f.index, **values)


def _deceased(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en("DECEASED", f, date=_dates(f["tgl_peristiwa"]))


def _jkm_claim_alert(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    known = pd.to_datetime(f["tgl_aktif"]).notna().to_numpy(dtype=bool)
    died = _dates(f["tgl_peristiwa"])
    on_or_after = _en("JKM_CLAIM_ALERT", f, died=died, aktif=_dates(f["tgl_aktif"]))
    return on_or_after.where(known, _en("JKM_CLAIM_ALERT.unknown_start", f, died=died))


def _moved_out(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    moved = (f["status_dasar"].astype("str") == MOVED).fillna(False).to_numpy(dtype=bool)
    status = _en("MOVED_OUT.status", f, date=_dates(f["tgl_peristiwa"]))
    domicile = _en("MOVED_OUT.domicile", f, prop=_ints(f["no_prop"]), kab=_ints(f["no_kab"]))
    return status.where(moved, domicile)


def _age_above_limit(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en(
        "AGE_ABOVE_LIMIT", f, age=_ints(f["umur"]), on=on.isoformat(),
        born=_dates(f["tgl_lhr"]), max=str(params.max_age),
    )  # fmt: skip


def _duplicate_enrollment(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en(
        "DUPLICATE_ENROLLMENT", f, kpj=_text(f["kept_kpj"]), aktif=_dates(f["kept_tgl_aktif"])
    )


def _termination_pending(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en("TERMINATION_PENDING", f)


def _nik_not_found(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    nik = f["nik"].astype("str").fillna("")
    malformed = ~nik.str.fullmatch(r"\d{16}").to_numpy(dtype=bool)
    candidates = pd.to_numeric(f["typo_candidates"]).to_numpy()
    ambiguous = candidates >= 2
    values = {
        "nik": nik.where(nik != "", text("value.empty")),
        "candidates": pd.Series(candidates, index=f.index).astype("str"),
    }
    out = _en("NIK_NOT_FOUND", f, **values)
    for key, rows in (
        ("NIK_NOT_FOUND.malformed", malformed & ~ambiguous),
        ("NIK_NOT_FOUND.ambiguous", ~malformed & ambiguous),
        ("NIK_NOT_FOUND.malformed_ambiguous", malformed & ambiguous),
    ):
        if rows.any():
            out = out.where(~rows, _en(key, f, **values))
    return out


def _nik_probable_typo(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    one = (pd.to_numeric(f["nik_edits"]) == 1).fillna(False).to_numpy(dtype=bool)
    values = {
        "nik": _text(f["suggested_nik"]), "born": _dates(f["tgl_lahir_bpjs"]),
        "similarity": _fixed(f["name_similarity"]), "edits": _ints(f["nik_edits"]),
    }  # fmt: skip
    return _en("NIK_PROBABLE_TYPO", f, **values).where(
        ~one, _en("NIK_PROBABLE_TYPO.one", f, **values)
    )


def _identity_mismatch(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    birth_differs = ~f["birth_date_equal"].fillna(False).to_numpy(dtype=bool)
    similarity = f["name_similarity"].fillna(0).to_numpy(dtype=float)
    name_differs = similarity < params.mismatch_name_similarity
    values = {
        "bpjs_born": _dates(f["tgl_lahir_bpjs"]), "born": _dates(f["tgl_lhr"]),
        "similarity": _fixed(f["name_similarity"]),
        "minimum": f"{params.mismatch_name_similarity:.2f}",
    }  # fmt: skip
    birth = _en("IDENTITY_MISMATCH.birth", f, **values)
    name = _en("IDENTITY_MISMATCH.name", f, **values)
    both = _en("IDENTITY_MISMATCH.both", f, **values)
    return both.where(birth_differs & name_differs, birth.where(birth_differs, name))


def _not_in_dtsen(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en("NOT_IN_DTSEN", f, nik=_text(f["nik"]))


def _desil_above_limit(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en(
        "DESIL_ABOVE_LIMIT", f, desil=_ints(f["desil"]), ranked=_dates(f["tgl_pemeringkatan"]),
        max=str(params.max_desil),
    )  # fmt: skip


def _formal_occupation(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en("FORMAL_OCCUPATION", f, occupation=occupation_label(f["jenis_pkrjn"]))


def _double_funded(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en("DOUBLE_FUNDED", f, payer=_text(f["other_payer"]), kpj=_text(f["other_kpj"]))


def _reported_deceased(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en("REPORTED_DECEASED", f, ranked=_dates(f["tgl_pemeringkatan"]))


def _nik_corrected(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en(
        "NIK_CORRECTED", f, old=_text(f["nik_bpjs"], text("value.empty")), new=_text(f["nik"])
    )


def _verified_eligible(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en("VERIFIED_ELIGIBLE", f)


def _verified_ineligible(f: pd.DataFrame, on: date, params: RuleParameters) -> pd.Series:
    return _en("VERIFIED_INELIGIBLE", f)


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
        reasons = cleared[was_cleared].astype("str")
        ev.add(
            was_cleared,
            f"{CLEARED}: " + render("evidence.CLEARED", Lang.EN, reasons.index, reasons=reasons),
        )
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
        + priority_clause(
            pd.Series(ranks, index=facts.index), len(facts), free_places, lead=CLAUSE_SEPARATOR
        )
    )


# -- the evidence in another language (rendering time: the registry keeps English) ------
#: placeholders whose values are codes with their own catalogue entries
_VALUE_KINDS = {"payer": "payer", "source": "source"}
_CLAUSE = re.compile(r"^(?P<code>[A-Z][A-Z_]*): (?P<body>.*)$", re.DOTALL)


def _translated_values(frame: pd.DataFrame, lang: Lang) -> dict[str, pd.Series]:
    """The values read back from clauses, as ``lang`` writes them: payer and source codes
    by their catalogue names, the reason codes of ``CLEARED`` in words, ``unknown`` and
    ``(empty)`` translated (one look-up per distinct value)."""
    values = {}
    plain = {text("value.unknown"): text("value.unknown", lang),
             text("value.empty"): text("value.empty", lang)}  # fmt: skip
    for name in frame.columns:
        column = frame[name].astype("str").fillna("")
        distinct = column.unique()
        kind = _VALUE_KINDS.get(name)
        if kind is not None:
            words = describe(kind, distinct, lang)
        elif name == "reasons":  # CLEARED: comma-separated reason codes
            words = {
                v: ", ".join(describe("reason", str(v).split(", "), lang).values())
                for v in distinct
            }
        else:
            words = {v: plain.get(v, v) for v in distinct}
        values[name] = column.map(words).astype("str")
    return values


def translate_evidence(evidence: pd.Series, lang: Lang | str = Lang.ID) -> pd.Series:
    """The published (English) evidence rendered in ``lang``, clause by clause, read back
    with the catalogue template that wrote it (:func:`domain.texts.pattern`) and written
    again with the same values: reason clauses without their code (the reasons are listed
    beside them), a population change as ``<change in words>: before -> after (source)``.
    A clause no template reads (e.g. written by an older rules version) stays as
    published. Vectorised: one regular expression per template over the clauses that
    carry its code."""
    lang = Lang(lang)
    published = evidence.astype("str").fillna("")
    if lang is Lang.EN or published.empty:
        return published
    pieces = published.str.split(CLAUSE_SEPARATOR, regex=False)
    rows = np.repeat(np.arange(len(published)), pieces.str.len().to_numpy(dtype=np.int64))
    clauses = pd.Series(pieces.explode().to_numpy(dtype=object), dtype="str").fillna("")
    parts = clauses.str.extract(_CLAUSE)
    out = clauses.copy()
    done = np.zeros(len(clauses), dtype=bool)
    changes = {c.value for c in ChangeType}
    for code in parts["code"].dropna().unique():
        # a reason's own templates first (MOVED_OUT is also a change type)
        keys = [(key, "") for key in variants(f"evidence.{code}")]
        if code in changes:
            keys.append(("evidence.CHANGE", text(f"change.{code}", lang) + ": "))
        at = (parts["code"] == code).to_numpy(dtype=bool)
        for key, prefix in keys:
            todo = at & ~done
            if not todo.any():
                break
            body = parts.loc[todo, "body"]
            regex = pattern(key)
            hit = body.str.match(regex).fillna(False).to_numpy(dtype=bool)
            if not hit.any():
                continue
            body = body[hit]
            names = fields(CATALOGUE[key][Lang.EN])
            values = _translated_values(body.str.extract(regex)[names], lang) if names else {}
            out[body.index] = prefix + render(key, lang, body.index, **values)
            done[body.index] = True
    out = (out.str[:1].str.upper() + out.str[1:]).where(done, out)
    joined = out.groupby(rows, sort=True).agg(CLAUSE_SEPARATOR.join)
    result = joined.reindex(np.arange(len(published))).fillna("").astype("str")
    return pd.Series(result.to_numpy(dtype=object), index=published.index, dtype="str")


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
        raise InvalidInput("explain_person needs a nik or a kpj")
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
        raise InvalidInput(f"no entry for {who} in these entries")
    lines: list[str] = []
    for record in found.to_dict("records"):
        if lines:
            lines.append("")
        lines.extend(explain_entry(record, reveal=reveal))
    return lines
