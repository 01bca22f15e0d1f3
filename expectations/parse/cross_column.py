"""The rules that look at more than one value: Dukcapil's domicile code from its four
parts (:func:`kelurahan_code`), event dates against STATUS_DASAR and the birth date, the
NIK against the birth date and sex, NIK_BARU when HASIL is NIK_DIKOREKSI, and keys
repeated across rows (differing rows, or exact copies).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from expectations import predicates as p
from expectations.parse.model import KELURAHAN_PARTS, KODE_KELURAHAN, RowCheck


def _dukcapil_rules(
    typed: pd.DataFrame, delivered: dict[str, np.ndarray], checks: list[RowCheck]
) -> Iterator[RowCheck]:
    # the domicile code, where its four parts are all valid
    part_broken = np.zeros(len(typed), dtype=bool)
    for check in checks:
        if check.column in KELURAHAN_PARTS and check.severity == "reject":
            part_broken |= check.mask
    parts = [typed[c].to_numpy(dtype="float64", na_value=np.nan) for c in KELURAHAN_PARTS]
    usable = ~part_broken & np.logical_and.reduce([~np.isnan(x) for x in parts])
    typed[KODE_KELURAHAN] = kelurahan_code(*parts, usable=usable)
    yield RowCheck(
        KODE_KELURAHAN,
        p.KELURAHAN_UNKNOWN,
        "reject",
        "NO_PROP.NO_KAB.NO_KEC.NO_KEL does not form an existing kelurahan code (Kepmendagri 2025)",
        usable & ~p.known_kelurahan(typed[KODE_KELURAHAN]).to_numpy(dtype=bool),
    )

    if {"STATUS_DASAR", "TGL_PERISTIWA"} <= set(typed.columns):
        yield RowCheck(
            "TGL_PERISTIWA",
            p.TGL_PERISTIWA_IFF_NOT_HIDUP,
            "reject",
            "TGL_PERISTIWA must be filled exactly when STATUS_DASAR is MATI or PINDAH "
            "(and empty for HIDUP)",
            ~p.event_date_iff_not_alive(typed["STATUS_DASAR"], delivered["TGL_PERISTIWA"]).to_numpy(
                dtype=bool
            ),
        )
        yield RowCheck(
            "TGL_PERISTIWA",
            p.TGL_PERISTIWA_BEFORE_BIRTH,
            "reject",
            "TGL_PERISTIWA must not be before TGL_LHR",
            ~p.not_before(typed["TGL_PERISTIWA"], typed["TGL_LHR"]).to_numpy(dtype=bool),
        )
    if {"NIK", "TGL_LHR", "JENIS_KLMIN"} <= set(typed.columns):
        yield RowCheck(
            "NIK",
            p.NIK_DATE_MISMATCH,
            "warning",
            "the date (and sex) embedded in NIK differ from TGL_LHR/JENIS_KLMIN",
            ~p.nik_agrees_with_birth(
                typed["NIK"],
                typed["TGL_LHR"],
                typed["JENIS_KLMIN"],
                well_formed=_nik_well_formed(typed["NIK"], checks),
            ).to_numpy(dtype=bool),
        )


def _nik_well_formed(nik: pd.Series, checks: list[RowCheck]) -> np.ndarray:
    """Where NIK is delivered and breaks none of the NIK rules (already computed)."""
    ok = nik.notna().to_numpy(dtype=bool).copy()
    for check in checks:
        if check.column == "NIK" and check.rule in p.NIK_RULES:
            ok &= ~check.mask
    return ok


def kelurahan_code(
    prop: np.ndarray, kab: np.ndarray, kec: np.ndarray, kel: np.ndarray, *, usable: np.ndarray
) -> pd.Categorical:
    """``32.75.01.1001`` from the four numeric parts (categorical; null where not usable).

    The codes are formatted once per distinct combination, then mapped back."""
    key = np.zeros(len(prop), dtype=np.int64)
    if usable.any():
        key[usable] = (
            prop[usable].astype(np.int64) * 10**8
            + kab[usable].astype(np.int64) * 10**6
            + kec[usable].astype(np.int64) * 10**4
            + kel[usable].astype(np.int64)
        )
    inverse, distinct = pd.factorize(key[usable], sort=True)  # a hash: few distinct codes
    labels = [
        f"{k // 10**8:02d}.{k // 10**6 % 100:02d}.{k // 10**4 % 100:02d}.{k % 10**4:04d}"
        for k in distinct.tolist()
    ]
    codes = np.full(len(prop), -1, dtype=np.int64)
    codes[usable] = inverse
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype="str"))


def _nik_baru_rule(typed: pd.DataFrame, delivered: dict[str, np.ndarray]) -> RowCheck:
    return RowCheck(
        "NIK_BARU",
        p.NIK_BARU_REQUIRED,
        "reject",
        "NIK_BARU is required when HASIL is NIK_DIKOREKSI",
        ~p.nik_baru_given_when_corrected(typed["HASIL"], delivered["NIK_BARU"]).to_numpy(
            dtype=bool
        ),
    )


def _unique_or_copy_rules(
    column: str, values: pd.Series, fingerprints: np.ndarray
) -> list[RowCheck]:
    differing, later = p.repeated_keys(values, fingerprints)
    return [
        RowCheck(
            column,
            p.DUPLICATE_KEY,
            "reject",
            f"{column} appears on more than one row, and the rows differ; every "
            "occurrence is rejected: tell us which one is right",
            differing,
        ),
        RowCheck(
            column,
            p.DUPLICATE_ROW,
            "reject",
            "the row is an exact copy of an earlier row (same values in every column); "
            "the first copy is kept",
            later,
        ),
    ]


def _unique_rule(column: str, values: pd.Series) -> RowCheck:
    return RowCheck(
        column,
        p.DUPLICATE_KEY,
        "reject",
        f"{column} appears on more than one row; every occurrence is rejected: tell us "
        "which one is right",
        ~p.unique_where_present(values).to_numpy(dtype=bool),
    )
