"""Why (not) me? Every eligibility rule of the rule book for one person, from the period's
accepted rows, with its outcome and evidence: the answer of ``sigap explain`` for anybody,
in scope or not.

The checks are the rule functions of :mod:`domain.eligibility` (and the coverage rule of
:mod:`domain.reconcile`) applied to the one-row frames of the person's records, so an
explanation can never disagree with the decisions: :func:`assess` also runs the composed
rule (:func:`domain.eligibility.eligible_residents`) on the same frames and refuses to
answer when the rule-by-rule checks and the composed rule differ.

:func:`explanation` writes an :class:`Assessment` as the operator's view (English, every
identifier the operator may look up: KPJs) or as a short letter in Bahasa Indonesia that a
kelurahan officer hands to the citizen: only the citizen's own data (their NIK, name,
kelurahan and the facts that were checked), never another person's NIK, name or KPJ, nor
anyone else of the family. Every sentence comes from the catalogue (:mod:`domain.texts`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from domain.codes import Decision, MatchMethod, Reason
from domain.decisions import REASON_SEPARATOR, code_values
from domain.eligibility import (
    age_in_years,
    age_within_limits,
    alive,
    desil_within_limit,
    eligible_residents,
    formal_occupation,
    in_city,
    not_working,
    present_in_dtsen,
)
from domain.identity import normalise_nik
from domain.periods import reference_date
from domain.privacy import mask_nik
from domain.reconcile import covering_rows
from domain.reference import occupations, regions
from domain.rules import RuleParameters
from domain.texts import Lang, has, long_date, period_words, text


class Rule(StrEnum):
    """The eligibility rules of PROGRAM.md, one check each (the catalogue's ``rule.*``)."""

    DUKCAPIL_RECORD = "DUKCAPIL_RECORD"
    ALIVE = "ALIVE"
    DOMICILE = "DOMICILE"
    DTSEN_RECORD = "DTSEN_RECORD"
    DESIL = "DESIL"
    AGE = "AGE"
    NOT_FORMAL = "NOT_FORMAL"
    WORKING = "WORKING"
    DTSEN_PRESENT = "DTSEN_PRESENT"
    NOT_COVERED = "NOT_COVERED"
    NOT_LINKED = "NOT_LINKED"


class Result(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    #: does not apply (a participant: the rules for people not yet enrolled)
    NA = "na"
    #: cannot be checked (the record it reads is missing)
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    IN_SCOPE = "IN_SCOPE"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    NOT_FOUND = "NOT_FOUND"
    #: every rule passes but the release has no entry (other rules or inputs)
    INCONSISTENT = "INCONSISTENT"


#: the rules the composed rule ``eligible_residents`` applies (rules 1-4 of PROGRAM.md)
ELIGIBILITY_RULES: tuple[Rule, ...] = (
    Rule.DUKCAPIL_RECORD, Rule.ALIVE, Rule.DOMICILE, Rule.DTSEN_RECORD, Rule.DESIL,
    Rule.AGE, Rule.NOT_FORMAL, Rule.WORKING, Rule.DTSEN_PRESENT,
)  # fmt: skip
#: checked only for people not yet enrolled (a participant is judged by the reasons)
RESIDENT_ONLY: frozenset[Rule] = frozenset(
    {Rule.WORKING, Rule.DTSEN_PRESENT, Rule.NOT_COVERED, Rule.NOT_LINKED}
)

#: what to do next when a rule fails (``next.<step>`` of the catalogue)
RULE_NEXT: dict[Rule, str] = {
    Rule.DUKCAPIL_RECORD: "check_nik",
    Rule.ALIVE: "update_dukcapil",
    Rule.DOMICILE: "domicile",
    Rule.DTSEN_RECORD: "dtsen_register",
    Rule.DESIL: "dtsen_update",
    Rule.AGE: "age",
    Rule.NOT_FORMAL: "occupation",
    Rule.WORKING: "occupation",
    Rule.DTSEN_PRESENT: "dtsen_update",
    Rule.NOT_COVERED: "covered",
    Rule.NOT_LINKED: "linked",
}
#: what to do next for a participant's reason
REASON_NEXT: dict[Reason, str] = {
    Reason.DECEASED: "deceased",
    Reason.JKM_CLAIM_ALERT: "deceased",
    Reason.MOVED_OUT: "domicile",
    Reason.AGE_ABOVE_LIMIT: "age",
    Reason.DUPLICATE_ENROLLMENT: "none",
    Reason.TERMINATION_PENDING: "none",
    Reason.NIK_NOT_FOUND: "check_nik",
    Reason.NIK_PROBABLE_TYPO: "check_nik",
    Reason.IDENTITY_MISMATCH: "update_dukcapil",
    Reason.NOT_IN_DTSEN: "dtsen_register",
    Reason.DESIL_ABOVE_LIMIT: "dtsen_update",
    Reason.FORMAL_OCCUPATION: "occupation",
    Reason.DOUBLE_FUNDED: "reverify",
    Reason.REPORTED_DECEASED: "dtsen_update",
    Reason.VERIFIED_ELIGIBLE: "none",
    Reason.VERIFIED_INELIGIBLE: "none",
    Reason.NIK_CORRECTED: "none",
}
#: next steps a quarantined row of a source makes moot (the record exists, it was rejected)
QUARANTINE_MOOT: dict[str, tuple[str, ...]] = {
    "dukcapil": ("check_nik", "update_dukcapil"),
    "dtsen": ("dtsen_register",),
    "bpjstk": ("check_nik",),
}
DECISION_NEXT: dict[Decision, str] = {
    Decision.KEEP: "none",
    Decision.REVERIFY: "reverify",
    Decision.TERMINATE: "none",
    Decision.ENROLL: "none",
    Decision.WAITLIST: "waitlist",
}


@dataclass(frozen=True)
class PersonRecords:
    """What the period holds about one NIK: its rows in the accepted extracts and the
    release's entries (each frame may be empty)."""

    nik: str
    #: Dukcapil rows with this NIK (0 or 1: NIKs are unique in an accepted extract)
    dukcapil: pd.DataFrame
    #: DTSEN rows with this NIK (0 or 1)
    dtsen: pd.DataFrame
    #: BPJS rows whose NIK, stripped (``domain.identity.normalise_nik``), is this NIK
    bpjstk: pd.DataFrame
    #: the release's entries of this NIK (``registry_entry``; a participant by KPJ too)
    entries: pd.DataFrame
    #: the release's entries of participants linked to this NIK as the suggested NIK of a
    #: probable typo
    linked: pd.DataFrame


@dataclass(frozen=True)
class Check:
    rule: Rule
    result: Result
    #: the catalogue key of the evidence sentence (``rule.<RULE>.<...>`` or ``result.*``)
    key: str
    #: the evidence values, as codes (``explanation`` puts them in words)
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Assessment:
    nik: str
    period: str
    on: date
    params: RuleParameters
    outcome: Outcome
    checks: tuple[Check, ...]
    #: the person's own data, for the heading (Dukcapil first, else the entry)
    name: str | None
    kelurahan: str | None
    entries: pd.DataFrame
    linked: pd.DataFrame

    @property
    def failed(self) -> list[Rule]:
        return [c.rule for c in self.checks if c.result is Result.FAIL]


@dataclass(frozen=True)
class SearchedExtract:
    """One accepted extract of the release, as searched for the NIK."""

    source: str
    file: str | None
    sha256: str | None
    #: rows with the NIK (``None``: the extract's rows are not stored any more)
    rows: int | None


@dataclass(frozen=True)
class ReleaseInfo:
    period: str
    version: int
    release_id: int
    rules_version: str


# -- the checks ------------------------------------------------------------------------------
def _one(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index(drop=True).iloc[:1]


def _value(frame: pd.DataFrame, column: str) -> object:
    if column not in frame.columns or frame.empty:
        return None
    value = frame[column].iloc[0]
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _iso(value: object) -> str:
    if value is None:
        return text("value.unknown")
    return pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]


@cache
def _occupation_names() -> dict[int, tuple[str, str]]:
    ref = occupations()
    return {int(k): (n, g) for k, n, g in ref[["kode", "nama", "kelompok"]].itertuples(index=False)}


def _occupation(code: object) -> tuple[str, str]:
    if code is None:
        return text("value.unknown"), "?"
    return _occupation_names().get(int(code), (f"{int(code)} ?", "?"))  # type: ignore[call-overload]


@cache
def _region_names() -> dict[str, str]:
    return dict(zip(regions()["kode"], regions()["nama"], strict=True))


def region_name(code: str | None) -> str:
    """The Kemendagri name of a region code (``32.16`` -> ``Kabupaten Bekasi``)."""
    if not code:
        return text("value.unknown")
    return _region_names().get(code, text("value.unknown"))


def _own_entries(entries: pd.DataFrame, nik: str) -> pd.DataFrame:
    if entries.empty:
        return entries
    return entries[(entries["nik"].astype("str") == nik).fillna(False).to_numpy(dtype=bool)]


def _is_participant(entries: pd.DataFrame) -> bool:
    if entries.empty or "kpj" not in entries.columns:
        return False
    kpj = entries["kpj"].astype("str").fillna("").str.strip()
    return bool((kpj != "").any())


def assess(records: PersonRecords, period: str, params: RuleParameters) -> Assessment:
    """Every rule of the rule book for the person of ``records`` (see the module
    docstring). Raises ``ValueError`` when the checks and the composed rule disagree
    (a defect: it never explains what the decisions did not do)."""
    on = reference_date(period)
    nik = records.nik
    duk, dts = _one(records.dukcapil), _one(records.dtsen)
    has_duk, has_dts = len(duk) == 1, len(dts) == 1
    entries = _own_entries(records.entries, nik)
    participant = _is_participant(entries)
    checks: dict[Rule, Check] = {}
    resident: dict[Rule, bool] = {}  # the rules of eligible_residents, participant or not

    def put(rule: Rule, ok: bool | None, values: Mapping[str, object] | None = None,
            key: str | None = None) -> None:  # fmt: skip
        if ok is None:
            result = Result.UNKNOWN
        else:
            resident[rule] = ok
            result = Result.PASS if ok else Result.FAIL
        if participant and rule in RESIDENT_ONLY:
            result, key = Result.NA, "result.participant_only"
        default = f"rule.{rule.value}.{result.value}" if result in (Result.PASS, Result.FAIL) else key
        checks[rule] = Check(rule, result, key or default or "result.unknown", dict(values or {}))

    # rule 1: Dukcapil record, STATUS_DASAR, domicile
    put(Rule.DUKCAPIL_RECORD, has_duk)
    if has_duk:
        status = _value(duk, "STATUS_DASAR")
        put(Rule.ALIVE, bool(alive(duk["STATUS_DASAR"])[0]),
            {"status_code": status, "date": _iso(_value(duk, "TGL_PERISTIWA"))})  # fmt: skip
        prop, kab = _value(duk, "NO_PROP"), _value(duk, "NO_KAB")
        region_code = (
            f"{int(prop):02d}.{int(kab):02d}"  # type: ignore[call-overload]
            if prop is not None and kab is not None
            else text("value.unknown")
        )
        put(Rule.DOMICILE, bool(in_city(duk["NO_PROP"], duk["NO_KAB"])[0]),
            {"region_code": region_code, "region": region_name(region_code)})  # fmt: skip
    else:
        for rule in (Rule.ALIVE, Rule.DOMICILE):
            put(rule, None, key="result.not_checked_dukcapil")
    # rule 2: DTSEN record and desil
    put(Rule.DTSEN_RECORD, has_dts, {"ranked": _iso(_value(dts, "TGL_PEMERINGKATAN"))})
    desil_values = {"desil": _value(dts, "DESIL"), "max": params.max_desil}
    if has_dts:
        put(Rule.DESIL, bool(desil_within_limit(dts["DESIL"], params)[0]), desil_values)
    else:
        put(Rule.DESIL, None, desil_values, key="result.not_checked_dtsen")
    # rule 3: age; rule 4: occupation (and, not yet enrolled, working and present)
    if has_duk:
        born = _value(duk, "TGL_LHR")
        age = age_in_years(duk["TGL_LHR"].to_numpy(), on)
        put(Rule.AGE, bool(age_within_limits(age, params)[0]),
            {"age": int(age[0]) if age[0] >= 0 else text("value.unknown"), "on": on.isoformat(),
             "born": _iso(born), "min": params.min_age, "max": params.max_age})  # fmt: skip
        name, group = _occupation(_value(duk, "JENIS_PKRJN"))
        occupation = {"occupation": name, "group_code": group}
        put(Rule.NOT_FORMAL, not bool(formal_occupation(duk["JENIS_PKRJN"])[0]), occupation)
        put(Rule.WORKING, not bool(not_working(duk["JENIS_PKRJN"])[0]), occupation)
    else:
        for rule in (Rule.AGE, Rule.NOT_FORMAL, Rule.WORKING):
            put(rule, None, key="result.not_checked_dukcapil")
    if has_dts:
        put(Rule.DTSEN_PRESENT, bool(present_in_dtsen(dts["STATUS_KEBERADAAN"])[0]),
            {"keberadaan_code": _value(dts, "STATUS_KEBERADAAN")})  # fmt: skip
    else:
        put(Rule.DTSEN_PRESENT, None, key="result.not_checked_dtsen")

    # the composed rule on the same one-row frames must agree with the checks
    if has_duk:
        composed = len(
            eligible_residents(duk, dts, np.array([0 if has_dts else -1]), on, params)
        ) == 1
        by_rule = all(resident.get(rule, False) for rule in ELIGIBILITY_RULES)
        if composed != by_rule:
            raise InvalidInput(
                f"the eligibility checks of NIK {mask_nik(nik)} disagree with the composed "
                "rule (eligible_residents): a defect, please report it"
            )

    # not yet covered: no AKTIF BPJS row of any payer (domain.reconcile.covering_rows)
    bpjs = records.bpjstk
    if len(bpjs):
        bpjs = bpjs[(normalise_nik(bpjs["NIK"]) == nik).fillna(False).to_numpy(dtype=bool)]
    active = bpjs[covering_rows(bpjs)] if len(bpjs) else bpjs
    if len(active):
        first = active.assign(_p=code_values(active["SUMBER_IURAN"])).sort_values(["_p", "KPJ"])
        put(Rule.NOT_COVERED, False,
            {"payer_code": first["_p"].iloc[0], "kpj": str(first["KPJ"].iloc[0]).strip()})  # fmt: skip
    else:
        put(Rule.NOT_COVERED, True)
    # not linked to a participant (the suggested NIK of a probable typo)
    linked = records.linked
    if len(linked):
        row = linked.iloc[0]
        put(Rule.NOT_LINKED, False, {"kpj": row.get("kpj"), "decision": row.get("decision"),
                                     "reasons": row.get("reasons")})  # fmt: skip
    else:
        put(Rule.NOT_LINKED, True)

    ordered = tuple(checks[r] for r in Rule)
    if len(entries):
        outcome = Outcome.IN_SCOPE
    elif not (has_duk or has_dts or len(bpjs) or len(linked)):
        outcome = Outcome.NOT_FOUND
    elif any(c.result is Result.FAIL for c in ordered):
        outcome = Outcome.OUT_OF_SCOPE
    else:
        outcome = Outcome.INCONSISTENT
    name = _value(duk, "NAMA_LGKP") or _value(entries, "nama")
    kel = _value(duk, "KODE_KELURAHAN") or _value(entries, "kode_kelurahan")
    return Assessment(
        nik=nik, period=period, on=on, params=params, outcome=outcome, checks=ordered,
        name=None if name is None else str(name), kelurahan=None if kel is None else str(kel),
        entries=entries, linked=linked,
    )  # fmt: skip


def linked_entries(entries: pd.DataFrame, nik: str) -> pd.DataFrame:
    """The entries (of a release) that link a participant to ``nik`` as the suggested NIK
    of a probable typo."""
    if entries.empty or "suggested_nik" not in entries.columns:
        return entries.iloc[0:0]
    typo = (entries["match_method"].astype("str") == MatchMethod.NIK_PROBABLE_TYPO.value).fillna(
        False
    )
    same = (entries["suggested_nik"].astype("str") == nik).fillna(False)
    return entries[(typo & same).to_numpy(dtype=bool)]


# -- words -------------------------------------------------------------------------------------
def _words(check: Check, lang: Lang) -> dict[str, object]:
    """The check's values with their codes in ``lang``'s words."""
    v = dict(check.values)
    if "status_code" in v:
        v["status"] = text(f"status.{v['status_code']}", lang) if v["status_code"] else "?"
    if "group_code" in v:
        g = v["group_code"]
        v["group"] = text(f"group.{g}", lang) if g in ("FORMAL", "INFORMAL", "TIDAK_BEKERJA") else g
    if "keberadaan_code" in v:
        code = v["keberadaan_code"]
        key = f"keberadaan.{code}"
        v["keberadaan"] = text(key, lang) if has(key) else "?"
    if "payer_code" in v:
        key = f"payer.{v['payer_code']}"
        v["payer"] = text(key, lang) if has(key) else v["payer_code"]
    if lang is Lang.ID:
        for name in ("born", "date", "ranked", "on"):
            if name in v and v[name] and v[name] != text("value.unknown"):
                v[name] = long_date(date.fromisoformat(str(v[name])), lang)
            elif name in v:
                v[name] = text("value.unknown", lang)
    return v


def _reason_codes(entries: pd.DataFrame) -> list[str]:
    codes: list[str] = []
    for value in entries.get("reasons", pd.Series(dtype="str")).astype("str").fillna(""):
        codes.extend(c for c in str(value).split(REASON_SEPARATOR) if c and c not in codes)
    return codes


def _next_steps(a: Assessment) -> list[str]:
    steps: list[str] = []
    if a.outcome is Outcome.IN_SCOPE:
        for decision in a.entries["decision"].astype("str"):
            if decision in Decision.__members__:
                steps.append(DECISION_NEXT[Decision(decision)])
        for code in _reason_codes(a.entries):
            if code in Reason.__members__:
                steps.append(REASON_NEXT[Reason(code)])
    elif a.outcome is Outcome.NOT_FOUND:
        steps.append("check_nik")
    else:
        steps.extend(RULE_NEXT[rule] for rule in a.failed)
    unique = list(dict.fromkeys(steps))
    return [s for s in unique if s != "none"] or ["none"]


def explanation(
    a: Assessment,
    *,
    lang: Lang | str = Lang.EN,
    release: ReleaseInfo,
    searched: Sequence[SearchedExtract] = (),
    quarantined: pd.DataFrame | None = None,
    entry_lines: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> list[str]:
    """The explanation as lines: the operator's view (``en``: identifiers, the extracts
    searched with their digests, the quarantine's line numbers and rules, the entries'
    own explanation ``entry_lines``) or the citizen's letter (``id``: their own data only).
    ``quarantined``: ``source``, ``file``, ``line``, ``column``, ``rule`` of rejected rows
    with this NIK. ``notes``: lines for the operator (e.g. the rules changed)."""
    lang = Lang(lang)
    letter = lang is Lang.ID

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    lines: list[str] = []
    if letter:
        lines += [t("letter.title"), t("letter.subtitle"), ""]
    heading = t(
        "explain.release", period_label=period_words(release.period, lang),
        version=release.version, release_id=release.release_id,
        rules_version=release.rules_version,
    )  # fmt: skip
    lines.append(heading)
    if not letter:
        lines += list(notes)
    if letter:
        lines += ["", t("explain.person", nik=a.nik)]
        if a.name:
            lines.append(t("explain.name", name=a.name))
    else:
        lines.append(t("explain.person", nik=a.nik, name=a.name or "(no name)"))
    if a.kelurahan:
        lines.append(t("explain.kelurahan", kelurahan_code=a.kelurahan,
                       kelurahan=region_name(a.kelurahan),
                       kecamatan=region_name(a.kelurahan[:8])))  # fmt: skip

    # outcome
    outcome: list[str] = []
    if a.outcome is Outcome.IN_SCOPE:
        if letter:
            outcome.append(t("explain.in_scope"))
            for record in a.entries.to_dict("records"):
                decision = str(record.get("decision"))
                rank = record.get("priority_rank")
                outcome.append("  " + t(f"decision.{decision}", rank=rank if rank is not None else "?"))
            codes = _reason_codes(a.entries)
            if codes:
                words = [t(f"reason.{c}") if has(f"reason.{c}") else c for c in codes]
                outcome.append("  " + t("letter.reasons", reasons="; ".join(words)))
        else:
            decisions = ", ".join(a.entries["decision"].astype("str"))
            outcome.append(t("explain.in_scope") + f": {decisions}")
    elif a.outcome is Outcome.OUT_OF_SCOPE:
        outcome.append(t("explain.out_of_scope", rules=", ".join(r.value for r in a.failed)))
    elif a.outcome is Outcome.NOT_FOUND:
        outcome.append(t("explain.not_found", period=a.period))
    else:
        outcome.append(t("explain.inconsistent"))

    rules: list[str] = []
    if a.outcome is not Outcome.NOT_FOUND:
        rules.append(t("explain.rules_heading", on=long_date(a.on, lang) if letter else a.on))
        width = max((len(t(f"result.{c.result.value}")) for c in a.checks), default=0)
        for check in a.checks:
            if letter and check.rule is Rule.NOT_LINKED and check.result is Result.PASS:
                continue  # nothing the citizen needs to read
            label = t(f"rule.{check.rule.value}.label", min=a.params.min_age,
                      max=a.params.max_desil if check.rule is Rule.DESIL else a.params.max_age)
            evidence = t(check.key, **_words(check, lang))
            mark = t(f"result.{check.result.value}")
            rules.append(f"  [{mark}]".ljust(width + 5) + f"{label}: {evidence}")
        if not letter and len(a.linked):
            for record in a.linked.to_dict("records"):
                rules.append("  " + t("explain.linked_kpj", kpj=record.get("kpj"),
                                      decision=record.get("decision"),
                                      reasons=record.get("reasons") or "-"))  # fmt: skip

    found: list[str] = []
    if a.outcome is Outcome.NOT_FOUND or not letter:
        found.append(t("explain.searched"))
        for s in searched:
            name = t(f"source.{s.source}")
            if s.sha256 is None:
                found.append("  " + t("explain.searched_missing", source_name=name))
            else:
                found.append("  " + t("explain.searched_one", source_name=name, file=s.file,
                                      sha256=s.sha256[:12], rows=s.rows if s.rows is not None
                                      else "?"))  # fmt: skip
    q = quarantined if quarantined is not None else pd.DataFrame()
    if len(q):
        found.append(t("explain.quarantined_heading"))
        for row in q.to_dict("records"):
            rule = str(row.get("rule") or "")
            key = f"reject.{rule}" if has(f"reject.{rule}") else (
                "reject.DIGITS" if rule.startswith("DIGITS_") else "reject.other")  # fmt: skip
            found.append("  " + t("explain.quarantined_one", source_name=t(f"source.{row['source']}"),
                                  file=row.get("file"), line=row.get("line"),
                                  column=row.get("column") or "-", rule=rule,
                                  rule_text=t(key, rule=rule)))  # fmt: skip
    elif not letter:
        found.append(t("explain.no_quarantine"))

    steps = _next_steps(a)
    if len(q):  # the person's data is there, the provider's row is not right
        sources = list(dict.fromkeys(q["source"]))
        moot = {step for source in sources for step in QUARANTINE_MOOT.get(source, ())}
        steps = [f"quarantined:{s}" for s in sources] + [s for s in steps if s not in moot]
    nexts = [t("explain.next_heading")]
    for step in dict.fromkeys(steps):
        if step.startswith("quarantined:"):
            nexts.append("  - " + t("next.quarantined", source=t(f"source.{step.split(':')[1]}")))
        else:
            nexts.append("  - " + t(f"next.{step}"))

    if letter:
        for block in (rules, outcome, found, nexts,
                      [t("letter.footer", period_label=period_words(a.period, lang))]):  # fmt: skip
            if block:
                lines += ["", *block]
    else:
        lines += [*outcome, *rules]
        if entry_lines:
            lines += [t("explain.entries"), *("  " + line for line in entry_lines)]
        lines += [*nexts, *found]
    return lines
