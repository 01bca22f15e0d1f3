"""Reasons and decisions for current participants (PROGRAM.md, the reasons table).

A participant's reasons are a boolean frame, one column per :class:`~domain.codes.Reason`
(:data:`REASONS`, alphabetical: the order of ``registry_entry.reasons``); the decision is
the most severe decision among them (``TERMINATE`` > ``REVERIFY`` > ``KEEP``,
``domain.codes.SEVERITY``), ``KEEP`` when none decides anything.

The rules read a *participant facts* frame, one row per KPJ, built by
``domain.reconcile`` from the three sources (lower-case columns):

=====================  ========================================================================
BPJS list              ``kpj``, ``nik`` (after any correction), ``tgl_aktif``,
                       ``kept_kpj`` (:func:`duplicate_enrollments`), ``other_payer``
                       (:func:`other_active_payers`), ``termination_pending`` (bool)
matching               ``match_method``, ``name_similarity``, ``birth_date_equal``
Dukcapil (matched)     ``status_dasar``, ``tgl_peristiwa``, ``no_prop``, ``no_kab``,
                       ``umur`` (from ``TGL_LHR``), ``jenis_pkrjn``
DTSEN (matched)        ``in_dtsen`` (bool), ``desil``, ``status_keberadaan``
re-verification        ``hasil``, ``triggers``, ``nik_baru`` (:func:`verification_outcomes`)
=====================  ========================================================================

Rules that need the civil-registry or DTSEN record apply only when the NIK matched
exactly (``NIK_EXACT``, or ``NIK_CORRECTED`` after a re-verification): nobody is
terminated on a guess. ``DUPLICATE_ENROLLMENT``, ``DOUBLE_FUNDED`` and
``TERMINATION_PENDING`` need only the BPJS list and the previous release, so they apply
to every participant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from domain.codes import REASON_DECISION, Decision, MatchMethod, Reason, VerificationResult
from domain.eligibility import (
    ALIVE,
    DIED,
    MOVED,
    REPORTED_DIED,
    formal_occupation,
    in_city,
)
from domain.rules import RuleParameters

#: every reason, in the order they are listed in ``reasons`` (sorted, as the contract says)
REASONS: tuple[Reason, ...] = tuple(sorted(Reason, key=lambda r: r.value))
#: the separator of ``registry_entry.reasons``
REASON_SEPARATOR = ";"

#: reasons that need the matched civil-registry / DTSEN record
RECORD_REASONS: frozenset[Reason] = frozenset(
    {
        Reason.DECEASED, Reason.JKM_CLAIM_ALERT, Reason.MOVED_OUT, Reason.AGE_ABOVE_LIMIT,
        Reason.IDENTITY_MISMATCH, Reason.NOT_IN_DTSEN, Reason.DESIL_ABOVE_LIMIT,
        Reason.FORMAL_OCCUPATION, Reason.REPORTED_DECEASED,
    }
)  # fmt: skip

_TERMINATING = [r.value for r in REASONS if REASON_DECISION.get(r) is Decision.TERMINATE]
_REVERIFYING = [r.value for r in REASONS if REASON_DECISION.get(r) is Decision.REVERIFY]

MATCHED_METHODS = (MatchMethod.NIK_EXACT.value, MatchMethod.NIK_CORRECTED.value)

#: ``STATUS_KEPESERTAAN`` of an active BPJS membership
ACTIVE = "AKTIF"


def _text(values: pd.Series) -> pd.Series:
    """Stripped text, empty strings as null."""
    s = values.astype("str").str.strip()
    return s.where(s.str.len() > 0)


def code_values(values: pd.Series) -> pd.Series:
    """A code column (``SUMBER_IURAN``, ``STATUS_KEPESERTAAN``...) stripped and upper-cased,
    as validation hands it over; applied again so the rules never depend on it."""
    return values.astype("str").str.strip().str.upper()


def duplicate_enrollments(nik: pd.Series, tgl_aktif: pd.Series, kpj: pd.Series) -> pd.DataFrame:
    """For current participants (one row per KPJ): where the same NIK is on several
    active city-paid KPJs, every row but the one kept (earliest ``TGL_AKTIF``, then
    lowest KPJ) gets the KPJ kept (``kept_kpj``) and its ``kept_tgl_aktif``; null
    elsewhere. Null or empty NIKs are never "the same NIK"."""
    frame = pd.DataFrame(
        {
            "nik": _text(nik),
            "tgl": pd.to_datetime(tgl_aktif),
            "kpj": kpj.astype("str"),
            "pos": np.arange(len(nik)),
        }
    )
    ordered = frame[frame["nik"].notna()].sort_values(["nik", "tgl", "kpj"], na_position="last")
    first = ordered.drop_duplicates("nik", keep="first").set_index("nik")["pos"]
    kept = frame["nik"].map(first).fillna(-1).to_numpy(dtype=np.int64)
    duplicate = (kept >= 0) & (kept != frame["pos"].to_numpy())
    source = np.where(duplicate, kept, 0)
    kept_kpj = pd.Series(frame["kpj"].to_numpy()[source], index=nik.index, dtype="str")
    kept_tgl = pd.Series(frame["tgl"].to_numpy()[source], index=nik.index)
    return pd.DataFrame(
        {
            "kept_kpj": kept_kpj.where(duplicate),
            "kept_tgl_aktif": pd.to_datetime(kept_tgl.where(duplicate)),
        },
        index=nik.index,
    )


def other_active_payers(nik: pd.Series, bpjstk: pd.DataFrame, city_payer: str) -> pd.DataFrame:
    """For each NIK, another ``AKTIF`` BPJS row of the same NIK paid by someone other than
    ``city_payer``: its ``other_payer`` (``SUMBER_IURAN``) and ``other_kpj`` (lowest payer,
    then lowest KPJ, when there are several), null when there is none."""
    active = code_values(bpjstk["STATUS_KEPESERTAAN"]) == ACTIVE
    others = bpjstk[(active & (code_values(bpjstk["SUMBER_IURAN"]) != city_payer)).to_numpy(bool)]
    table = pd.DataFrame(
        {
            "nik": _text(others["NIK"]),
            "payer": others["SUMBER_IURAN"].astype("str"),
            "kpj": others["KPJ"].astype("str"),
        }
    ).dropna(subset=["nik"])
    first = table.sort_values(["nik", "payer", "kpj"]).drop_duplicates("nik").set_index("nik")
    key = _text(nik)
    return pd.DataFrame(
        {
            "other_payer": key.map(first["payer"]).astype("str"),
            "other_kpj": key.map(first["kpj"]).astype("str"),
        },
        index=nik.index,
    )


def verification_outcomes(verified: pd.DataFrame | None, kpj: pd.Series) -> pd.DataFrame:
    """The re-verification outcomes that apply to each participant (aligned with ``kpj``),
    in two independent parts, null where none applies:

    * ``nik_baru``: the NIK a ``NIK_DIKOREKSI`` result corrected (identity). A correction
      keeps applying for as long as the results carry it; several different corrections
      for one KPJ: the lowest NIK, so that the result never depends on row order.
    * ``hasil`` (``TIDAK_LAYAK`` or ``LAYAK``) and ``triggers`` (eligibility): any
      ``TIDAK_LAYAK`` wins; otherwise the ``LAYAK`` results count together, their
      ``triggers`` joined (every answered question stays answered).

    So a participant whose NIK was corrected months ago can still have a later ``LAYAK``
    applied. Outcomes are keyed on ``kpj``: outcomes without one concern people who are
    not participants and change nothing here. Unknown ``hasil`` values, and a
    ``NIK_DIKOREKSI`` without ``nik_baru``, are ignored.
    """
    empty = pd.Series(None, index=kpj.index, dtype="str")
    if verified is None or len(verified) == 0:
        return pd.DataFrame({"hasil": empty, "nik_baru": empty, "triggers": empty})
    missing = {"kpj", "hasil", "nik_baru", "triggers"} - set(verified.columns)
    if missing:
        raise InvalidInput(f"verified outcomes lack columns: {', '.join(sorted(missing))}")
    table = pd.DataFrame(
        {
            "kpj": _text(verified["kpj"]),
            "hasil": _text(verified["hasil"]).str.upper(),
            "nik_baru": _text(verified["nik_baru"]),
            "triggers": verified["triggers"].astype("str").fillna(""),
        }
    )
    table = table[table["kpj"].notna()]
    key = kpj.astype("str")

    corrections = table[(table["hasil"] == VerificationResult.NIK_DIKOREKSI.value)]
    corrections = corrections.dropna(subset=["nik_baru"]).sort_values(["kpj", "nik_baru"])
    nik_baru = key.map(corrections.drop_duplicates("kpj").set_index("kpj")["nik_baru"])

    verdicts = table[table["hasil"].isin([VerificationResult.TIDAK_LAYAK.value,
                                          VerificationResult.LAYAK.value])]  # fmt: skip
    # TIDAK_LAYAK sorts before LAYAK: the first row per KPJ is the verdict
    verdict = verdicts.sort_values(["kpj", "hasil"], ascending=[True, False])
    hasil = key.map(verdict.drop_duplicates("kpj").set_index("kpj")["hasil"])
    layak = verdicts[verdicts["hasil"] == VerificationResult.LAYAK.value]
    codes = (
        layak.assign(code=layak["triggers"].str.replace(" ", "").str.split(REASON_SEPARATOR))
        .explode("code")
        .query("code != ''")
        .drop_duplicates(["kpj", "code"])
        .sort_values(["kpj", "code"])
    )
    joined = codes.groupby("kpj")["code"].agg(REASON_SEPARATOR.join)
    triggers = key.map(joined).where(hasil == VerificationResult.LAYAK.value)
    return pd.DataFrame(
        {
            "hasil": hasil.astype("str"),
            "nik_baru": nik_baru.astype("str"),
            "triggers": triggers.astype("str"),
        },
        index=kpj.index,
    )


def participant_reasons(facts: pd.DataFrame, params: RuleParameters) -> pd.DataFrame:
    """Boolean reason flags (one column per :data:`REASONS` value) for participant facts,
    before re-verification outcomes (:func:`apply_verification`)."""
    idx = facts.index
    method = facts["match_method"].astype("str")
    matched = method.isin(MATCHED_METHODS).to_numpy(dtype=bool)
    status = facts["status_dasar"].astype("str")
    died = (status == DIED).fillna(False).to_numpy(dtype=bool)
    moved = (status == MOVED).fillna(False).to_numpy(dtype=bool)
    alive = (status == ALIVE).fillna(False).to_numpy(dtype=bool)
    death = pd.to_datetime(facts["tgl_peristiwa"]).to_numpy(dtype="datetime64[ns]")
    start = pd.to_datetime(facts["tgl_aktif"]).to_numpy(dtype="datetime64[ns]")
    umur = pd.to_numeric(facts["umur"]).fillna(-1).to_numpy()
    in_dtsen = facts["in_dtsen"].fillna(False).to_numpy(dtype=bool)
    desil = pd.to_numeric(facts["desil"]).fillna(0).to_numpy()
    keberadaan = pd.to_numeric(facts["status_keberadaan"]).fillna(0).to_numpy()
    similarity = facts["name_similarity"].fillna(0.0).to_numpy(dtype=float)
    same_birth = facts["birth_date_equal"].fillna(False).to_numpy(dtype=bool)
    hasil = facts["hasil"].astype("str")

    deceased = matched & died
    flags = {
        Reason.DECEASED: deceased,
        # no alert without a death date; a coverage start BPJS did not deliver readably
        # (nulled at validation) alerts: nobody can tell the death came before it
        Reason.JKM_CLAIM_ALERT: deceased & ~np.isnat(death) & (np.isnat(start) | (death >= start)),
        Reason.MOVED_OUT: matched & (moved | ~in_city(facts["no_prop"], facts["no_kab"])),
        Reason.AGE_ABOVE_LIMIT: matched & (umur > params.max_age),
        Reason.IDENTITY_MISMATCH: matched
        & (~same_birth | (similarity < params.mismatch_name_similarity)),
        Reason.NOT_IN_DTSEN: matched & ~in_dtsen,
        Reason.DESIL_ABOVE_LIMIT: matched & in_dtsen & (desil > params.max_desil),
        Reason.FORMAL_OCCUPATION: matched & formal_occupation(facts["jenis_pkrjn"]),
        Reason.REPORTED_DECEASED: matched & in_dtsen & alive & (keberadaan == REPORTED_DIED),
        Reason.NIK_NOT_FOUND: (method == MatchMethod.NONE.value).to_numpy(dtype=bool),
        Reason.NIK_PROBABLE_TYPO: (method == MatchMethod.NIK_PROBABLE_TYPO.value).to_numpy(bool),
        Reason.DUPLICATE_ENROLLMENT: facts["kept_kpj"].notna().to_numpy(dtype=bool),
        Reason.DOUBLE_FUNDED: facts["other_payer"].notna().to_numpy(dtype=bool),
        Reason.TERMINATION_PENDING: facts["termination_pending"].fillna(False).to_numpy(bool),
        Reason.NIK_CORRECTED: facts["nik_baru"].notna().to_numpy(dtype=bool),
        Reason.VERIFIED_INELIGIBLE: (hasil == VerificationResult.TIDAK_LAYAK.value)
        .fillna(False)
        .to_numpy(dtype=bool),
        Reason.VERIFIED_ELIGIBLE: np.zeros(len(facts), dtype=bool),
    }
    return pd.DataFrame({r.value: np.asarray(flags[r], dtype=bool) for r in REASONS}, index=idx)


def apply_verification(
    flags: pd.DataFrame, hasil: pd.Series, triggers: pd.Series
) -> tuple[pd.DataFrame, pd.Series]:
    """Apply ``LAYAK`` outcomes: the ``REVERIFY`` reasons named in ``triggers`` no longer
    count; where no ``REVERIFY``/``TERMINATE`` reason remains, ``VERIFIED_ELIGIBLE`` is set
    (the decision becomes ``KEEP``). ``TERMINATE`` reasons are never cleared.

    Returns the new flags and, per row, the reasons cleared (``,``-joined; empty string
    when none) for the evidence.
    """
    flags = flags.copy()
    layak = (hasil.astype("str") == VerificationResult.LAYAK.value).fillna(False).to_numpy(bool)
    cleared = pd.Series("", index=flags.index, dtype="str")
    if not layak.any():
        return flags, cleared
    listed = (
        REASON_SEPARATOR + triggers.astype("str").fillna("").str.replace(" ", "") + REASON_SEPARATOR
    )
    for reason in _REVERIFYING:
        named = listed.str.contains(REASON_SEPARATOR + reason + REASON_SEPARATOR, regex=False)
        clear = layak & flags[reason].to_numpy(dtype=bool) & named.fillna(False).to_numpy(bool)
        if clear.any():
            flags.loc[clear, reason] = False
            cleared[clear] = (cleared[clear] + ", " + reason).str.lstrip(", ")
    remaining = flags[_TERMINATING + _REVERIFYING].any(axis=1).to_numpy(dtype=bool)
    flags[Reason.VERIFIED_ELIGIBLE.value] = layak & ~remaining
    return flags, cleared


def decide(flags: pd.DataFrame) -> pd.Series:
    """The most severe decision among each row's reasons; ``KEEP`` when none decides."""
    terminate = flags[_TERMINATING].any(axis=1).to_numpy(dtype=bool)
    reverify = flags[_REVERIFYING].any(axis=1).to_numpy(dtype=bool)
    decision = np.where(
        terminate,
        Decision.TERMINATE.value,
        np.where(reverify, Decision.REVERIFY.value, Decision.KEEP.value),
    )
    return pd.Series(decision, index=flags.index, dtype="str")


def reasons_text(flags: pd.DataFrame) -> pd.Series:
    """Each row's reasons, sorted and ``;``-joined (empty string when none)."""
    text = pd.Series("", index=flags.index, dtype="str")
    for reason in REASONS:
        has = flags[reason.value].to_numpy(dtype=bool)
        if has.any():
            text[has] = (text[has] + REASON_SEPARATOR + reason.value).str.lstrip(REASON_SEPARATOR)
    return text


def severity_of(reasons: pd.Series) -> pd.Series:
    """The decision implied by ``;``-joined reason codes (``KEEP`` when none decides):
    the inverse of :func:`reasons_text` then :func:`decide`, for checks and reports."""
    listed = REASON_SEPARATOR + reasons.astype("str").fillna("") + REASON_SEPARATOR
    flags = pd.DataFrame(
        {
            r.value: listed.str.contains(REASON_SEPARATOR + r.value + REASON_SEPARATOR, regex=False)
            .fillna(False)
            .to_numpy(dtype=bool)
            for r in REASONS
        },
        index=reasons.index,
    )
    return decide(flags)
