"""Coverage and equity statistics of a release, from its entries alone.

Who is counted (``docs/DESIGN.md``, "Interpretations"):

* **eligible** (``eligible``): the people in scope who meet every eligibility rule as far
  as the release knows: ``KEEP`` + ``REVERIFY`` + ``ENROLL`` + ``WAITLIST``. A
  ``REVERIFY`` participant is counted: the city keeps paying while the case is open, and
  leaving them out would let a group's coverage exceed 100 %. ``TERMINATE`` is not.
* **covered** (``covered``): ``KEEP`` + ``REVERIFY``, the places the city pays this
  period; ``enroll`` and ``waitlist``: ``ENROLL`` and ``WAITLIST``;
* **coverage rate**: covered / eligible (null when nobody is eligible).

Breakdowns (:data:`DIMENSIONS`), each a code per entry (labels are the report's):

* ``jenis_kelamin``: ``L`` (Dukcapil ``JENIS_KLMIN`` 1), ``P`` (2), else unknown;
* ``kelompok_umur``: :data:`AGE_BANDS` (whole years at the period's end), ``LAINNYA``
  outside 15-65 or without an age (a participant whose NIK did not match is aged from
  the BPJS birth date);
* ``kelompok_pekerjaan``: the group of the Dukcapil occupation in the reference file
  (``INFORMAL``, ``FORMAL``, ``TIDAK_BEKERJA``); ``pekerjaan``: the occupation code;
* ``kategori``: the BPJS category of a participant (``ENROLL``/``WAITLIST`` have none yet);
* ``disabilitas``: ``YA``/``TIDAK`` from DTSEN's optional ``DISABILITAS``;
* ``desil``, ``kode_kecamatan``, ``kode_kelurahan``.

A missing value is :data:`UNKNOWN` in every breakdown. Disability is *available* when at
least one entry carries a value: a release whose DTSEN extract lacked the column (or left
it empty) has none, and the report says the figure is not available.

Everything here is vectorised (``pd.crosstab`` / ``groupby`` over the entries): the
statistics can be recomputed from the registry for any release. The trend
(:func:`coverage_trend`) needs only each release's counts and cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InvalidInput
from domain.codes import Decision
from domain.reference import city_kelurahan, occupations

ELIGIBLE_DECISIONS: tuple[str, ...] = (
    Decision.KEEP.value, Decision.REVERIFY.value, Decision.ENROLL.value, Decision.WAITLIST.value,
)  # fmt: skip
COVERED_DECISIONS: tuple[str, ...] = (Decision.KEEP.value, Decision.REVERIFY.value)

#: the measures of a coverage table, in order
MEASURES: tuple[str, ...] = ("eligible", "covered", "enroll", "waitlist")
#: the code of a missing value in every breakdown
UNKNOWN = "TIDAK_DIKETAHUI"
#: the code of everyone outside the age bands
OTHER_AGE = "LAINNYA"
#: whole years, inclusive
AGE_BANDS: tuple[tuple[int, int], ...] = ((15, 24), (25, 34), (35, 44), (45, 54), (55, 65))
SEX_CODES: tuple[str, ...] = ("L", "P")
DISABILITY_CODES: tuple[str, ...] = ("YA", "TIDAK")
OCCUPATION_GROUPS: tuple[str, ...] = ("INFORMAL", "FORMAL", "TIDAK_BEKERJA")

#: the breakdowns :func:`coverage_statistics` computes, in the report's order
DIMENSIONS: tuple[str, ...] = (
    "jenis_kelamin", "kelompok_umur", "kelompok_pekerjaan", "pekerjaan", "kategori",
    "disabilitas", "desil", "kode_kecamatan", "kode_kelurahan",
)  # fmt: skip


def age_band_codes() -> tuple[str, ...]:
    return tuple(f"{lo}-{hi}" for lo, hi in AGE_BANDS) + (OTHER_AGE,)


# -- one code per entry ----------------------------------------------------------------------
#: at most this many categories an integer breakdown is coded through a lookup table
_LOOKUP = 128


def _lookup_codes(values: pd.Series, mapping: dict[int, int], unknown: int) -> np.ndarray:
    """Integer codes of a small nullable integer column through a lookup table
    (``mapping``: value -> code; anything else, null included, ``unknown``)."""
    table = np.full(_LOOKUP + 1, unknown, dtype=np.int16)
    for value, code in mapping.items():
        if 0 <= value < _LOOKUP:
            table[value] = code
    raw = pd.to_numeric(values).astype("float64").to_numpy()
    index = np.where(np.isnan(raw) | (raw < 0) | (raw >= _LOOKUP), _LOOKUP, raw).astype(np.int64)
    return table[index]


def _text_categories(values: pd.Series, categories: Sequence[str]) -> np.ndarray:
    """Positions of stripped text values in ``categories``; anything else (null, empty,
    unknown) ``len(categories)`` (Arrow compute: no Python object per value)."""
    text = pa.array(values.astype("str"), from_pandas=True)
    text = pc.utf8_trim_whitespace(pc.cast(text, pa.large_string()))
    index = pc.index_in(text, value_set=pa.array(list(categories), type=pa.large_string()))
    return pc.fill_null(index, len(categories)).to_numpy(zero_copy_only=False).astype(np.int16)


def coded(entries: pd.DataFrame, name: str) -> tuple[np.ndarray, list[str]]:
    """Breakdown ``name`` (one of :data:`DIMENSIONS`) as ``(codes, categories)``: an
    integer per entry, the position of its category in ``categories`` (every category,
    :data:`UNKNOWN` last where there is one). Vectorised (lookup tables, categoricals)."""
    if name == "jenis_kelamin":
        cats = [*SEX_CODES, UNKNOWN]
        return _lookup_codes(entries["jenis_kelamin"], {1: 0, 2: 1}, 2), cats
    if name == "kelompok_umur":
        cats = list(age_band_codes())
        mapping = {a: i for i, (lo, hi) in enumerate(AGE_BANDS) for a in range(lo, hi + 1)}
        return _lookup_codes(entries["umur"], mapping, len(AGE_BANDS)), cats
    if name == "kelompok_pekerjaan":
        cats = [*OCCUPATION_GROUPS, UNKNOWN]
        ref = occupations()
        mapping = {int(k): OCCUPATION_GROUPS.index(g) for k, g in zip(ref["kode"], ref["kelompok"])}
        return _lookup_codes(entries["kode_pekerjaan"], mapping, len(OCCUPATION_GROUPS)), cats
    if name == "pekerjaan":
        ref = occupations()
        cats = [*(str(int(k)) for k in ref["kode"]), UNKNOWN]
        mapping = {int(k): i for i, k in enumerate(ref["kode"])}
        return _lookup_codes(entries["kode_pekerjaan"], mapping, len(cats) - 1), cats
    if name == "disabilitas":
        cats = [*DISABILITY_CODES, UNKNOWN]
        flag = entries["disabilitas"].astype("boolean")
        codes = np.where(flag.isna(), 2, np.where(flag.fillna(False).to_numpy(dtype=bool), 0, 1))
        return codes.astype(np.int16), cats
    if name == "desil":
        cats = [*(str(d) for d in range(1, 11)), UNKNOWN]
        return _lookup_codes(entries["desil"], {d: d - 1 for d in range(1, 11)}, 10), cats
    if name == "kategori":
        from domain.extracts import KATEGORI

        return _text_categories(entries["kategori"], KATEGORI), [*KATEGORI, UNKNOWN]
    if name in ("kode_kelurahan", "kode_kecamatan"):
        ref = city_kelurahan()
        kel = _text_categories(entries["kode_kelurahan"], ref["kode_kelurahan"])
        if name == "kode_kelurahan":
            return kel, [*ref["kode_kelurahan"], UNKNOWN]
        return kecamatan_of(kel)
    raise InvalidInput(f"unknown breakdown {name!r}; one of {', '.join(DIMENSIONS)}")


def kecamatan_of(kelurahan: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """``coded(..., "kode_kecamatan")`` from the ``kode_kelurahan`` codes."""
    ref = city_kelurahan()
    kecamatan = list(ref["kode_kecamatan"].drop_duplicates())
    of_kel = np.array([kecamatan.index(k) for k in ref["kode_kecamatan"]] + [len(kecamatan)])
    return of_kel[kelurahan].astype(np.int16), [*kecamatan, UNKNOWN]


def dimension(entries: pd.DataFrame, name: str) -> pd.Series:
    """The category of every entry in breakdown ``name``, as text (see :func:`coded`)."""
    codes, categories = coded(entries, name)
    return pd.Series(np.asarray(categories, dtype=object)[codes], index=entries.index, dtype="str")


# -- coverage tables --------------------------------------------------------------------------
#: each decision's measure (TERMINATE: none)
_DECISION_MEASURE = {
    Decision.KEEP.value: 0, Decision.REVERIFY.value: 0, Decision.ENROLL.value: 1,
    Decision.WAITLIST.value: 2,
}  # fmt: skip
_DECISIONS = [d.value for d in Decision]


def measure_codes(entries: pd.DataFrame) -> np.ndarray:
    """Per entry: 0 covered (KEEP, REVERIFY), 1 enroll, 2 waitlist, -1 neither."""
    decision = _text_categories(entries["decision"], _DECISIONS)
    table = np.array([_DECISION_MEASURE.get(d, -1) for d in _DECISIONS] + [-1], dtype=np.int8)
    return table[decision]


def counts_by(codes: np.ndarray, n_categories: int, measure: np.ndarray) -> np.ndarray:
    """``(n_categories, 3)`` counts of covered / enroll / waitlist per category."""
    keep = measure >= 0
    flat = codes[keep].astype(np.int64) * 3 + measure[keep]
    return np.bincount(flat, minlength=3 * n_categories).reshape(n_categories, 3)


def coverage_table(
    entries: pd.DataFrame,
    name: str,
    *,
    mask: np.ndarray | None = None,
    measure: np.ndarray | None = None,
    codes: tuple[np.ndarray, list[str]] | None = None,
) -> pd.DataFrame:
    """Breakdown ``name``: per category (every one, zero rows included), ``eligible``,
    ``covered``, ``enroll``, ``waitlist`` (int64) and ``coverage_rate`` (float, null
    without anyone eligible). ``mask``: only these entries; ``measure``/``codes``: the
    entries' :func:`measure_codes` and :func:`coded` when already computed."""
    codes, categories = coded(entries, name) if codes is None else codes
    measure = measure_codes(entries) if measure is None else measure
    if mask is not None:
        codes, measure = codes[mask], measure[mask]
    counts = counts_by(codes, len(categories), measure)
    table = pd.DataFrame(counts, index=pd.Index(categories, name="code"),
                         columns=["covered", "enroll", "waitlist"]).astype("int64")  # fmt: skip
    table.insert(0, "eligible", table.sum(axis=1))
    table["coverage_rate"] = _rate(table["covered"], table["eligible"])
    return table


def _rate(covered: pd.Series, eligible: pd.Series) -> pd.Series:
    eligible = eligible.astype("float64")
    return (covered.astype("float64") / eligible).where(eligible > 0)


def totals(entries: pd.DataFrame) -> dict[str, float | int | None]:
    """The whole release: ``eligible``, ``covered``, ``enroll``, ``waitlist``,
    ``coverage_rate``."""
    counts = np.bincount(measure_codes(entries) + 1, minlength=4)[1:]
    covered, enroll, waitlist = (int(c) for c in counts)
    eligible = covered + enroll + waitlist
    return {
        "eligible": eligible, "covered": covered, "enroll": enroll, "waitlist": waitlist,
        "coverage_rate": covered / eligible if eligible else None,
    }  # fmt: skip


@dataclass(frozen=True)
class CoverageStatistics:
    """Coverage of one release: the totals, a table per breakdown, the waitlist's
    composition and whether disability is known."""

    totals: dict[str, float | int | None]
    #: breakdown name -> :func:`coverage_table`
    tables: dict[str, pd.DataFrame] = field(repr=False)
    #: breakdown name -> WAITLIST people per category (``people``, ``share``)
    waitlist: dict[str, pd.DataFrame] = field(repr=False)
    #: women by occupation (:func:`coverage_table` of the ``P`` entries by ``pekerjaan``)
    women_by_occupation: pd.DataFrame = field(repr=False)
    disability_available: bool = False


#: the breakdowns of the waitlist's composition
WAITLIST_DIMENSIONS: tuple[str, ...] = (
    "jenis_kelamin", "kelompok_umur", "kelompok_pekerjaan", "desil", "disabilitas",
)  # fmt: skip


def disability_available(entries: pd.DataFrame) -> bool:
    """Whether any entry carries a disability value (the DTSEN extract had the column)."""
    return bool("disabilitas" in entries and entries["disabilitas"].notna().any())


def coverage_statistics(entries: pd.DataFrame) -> CoverageStatistics:
    """Every breakdown of :data:`DIMENSIONS` for one release's entries (ENTRY_COLUMNS)."""
    measure = measure_codes(entries)
    kelurahan = coded(entries, "kode_kelurahan")
    skip = ("kode_kelurahan", "kode_kecamatan")
    codes = {name: coded(entries, name) for name in DIMENSIONS if name not in skip}
    codes["kode_kelurahan"] = kelurahan
    codes["kode_kecamatan"] = kecamatan_of(kelurahan[0])
    tables = {
        name: coverage_table(entries, name, measure=measure, codes=codes[name])
        for name in DIMENSIONS
    }
    waitlist = {}
    for name in WAITLIST_DIMENSIONS:
        people = tables[name]["waitlist"]
        total = int(people.sum())
        frame = pd.DataFrame({"people": people})
        frame["share"] = frame["people"] / total if total else np.nan
        waitlist[name] = frame
    sex, _ = codes["jenis_kelamin"]
    women = coverage_table(
        entries,
        "pekerjaan",
        mask=sex == SEX_CODES.index("P"),
        measure=measure,
        codes=codes["pekerjaan"],
    )
    n_covered, n_enroll, n_waitlist = (int(c) for c in np.bincount(measure + 1, minlength=4)[1:])
    n_eligible = n_covered + n_enroll + n_waitlist
    return CoverageStatistics(
        totals={
            "eligible": n_eligible,
            "covered": n_covered,
            "enroll": n_enroll,
            "waitlist": n_waitlist,
            "coverage_rate": n_covered / n_eligible if n_eligible else None,
        },
        tables=tables,
        waitlist=waitlist,
        women_by_occupation=women,
        disability_available=disability_available(entries),
    )


def occupation_names() -> pd.Series:
    """Occupation code (as text) -> name, from the reference file."""
    ref = occupations()
    return pd.Series(ref["nama"].to_numpy(), index=ref["kode"].astype(int).astype(str))


# -- the trend over periods -------------------------------------------------------------------
@dataclass(frozen=True)
class TrendPoint:
    """One period's current release, as the trend reads it (its counts and costs)."""

    period: str
    version: int
    counts: dict[str, int]
    monthly_cost_idr: int
    #: what BPJS billed (the money view), when the release has it
    billed_idr: int | None = None


def coverage_trend(points: Sequence[TrendPoint], annual_budget_idr: int | None) -> pd.DataFrame:
    """One row per period (ascending): ``eligible``, ``covered``, ``enroll``,
    ``waitlist``, ``coverage_rate``, ``monthly_cost_idr``, ``billed_idr``, and against the
    annual budget: ``year_to_date_cost_idr`` (the monthly costs of the calendar year's
    periods so far, those with a release), ``annualised_cost_idr`` (12 x the monthly
    cost), ``budget_used_share`` (year to date / budget) and ``annualised_budget_share``
    (annualised / budget); the budget columns are null without a budget."""
    rows = []
    for p in sorted(points, key=lambda p: p.period):
        counts = {k: int(v) for k, v in p.counts.items()}
        covered = sum(counts.get(d, 0) for d in COVERED_DECISIONS)
        eligible = sum(counts.get(d, 0) for d in ELIGIBLE_DECISIONS)
        rows.append(
            {
                "period": p.period,
                "version": int(p.version),
                "eligible": eligible,
                "covered": covered,
                "enroll": counts.get(Decision.ENROLL.value, 0),
                "waitlist": counts.get(Decision.WAITLIST.value, 0),
                "coverage_rate": covered / eligible if eligible else np.nan,
                "monthly_cost_idr": int(p.monthly_cost_idr),
                "billed_idr": np.nan if p.billed_idr is None else float(p.billed_idr),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=["period", "version", "eligible", "covered", "enroll", "waitlist",
                 "coverage_rate", "monthly_cost_idr", "billed_idr"],
    )  # fmt: skip
    year = frame["period"].str[:4]
    frame["year_to_date_cost_idr"] = (
        frame.groupby(year)["monthly_cost_idr"].cumsum().astype("int64")
    )
    frame["annualised_cost_idr"] = (12 * frame["monthly_cost_idr"]).astype("int64")
    budget = float(annual_budget_idr) if annual_budget_idr else np.nan
    frame["budget_used_share"] = frame["year_to_date_cost_idr"] / budget
    frame["annualised_budget_share"] = frame["annualised_cost_idr"] / budget
    return frame
