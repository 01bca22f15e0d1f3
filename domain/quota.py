"""City-paid places: the cap, the priority order of new people, costs, and what-ifs.

The rule book (PROGRAM.md, "Quota and priority"):

* cap = ``quota``; with an annual budget, ``min(quota, budget // (12 x contribution))``;
* free places = ``max(0, cap - (KEEP + REVERIFY))``;
* eligible residents not yet covered are ranked by desil ascending, PKH recipients first,
  older first (earlier birth date), NIK ascending: a total order (NIKs are unique), so
  the ranking never depends on row order;
* the first *free places* are ``ENROLL``, the rest ``WAITLIST``, each with its rank;
* monthly cost = (KEEP + REVERIFY + ENROLL) x contribution; annual = 12 x monthly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from domain.codes import Decision
from domain.identity import nik_keys
from domain.rules import RuleParameters


class Reconciled(Protocol):
    """What :func:`whatif` reads of a :class:`domain.reconcile.Reconciliation` (which
    imports this module: the protocol keeps the import one way)."""

    entries: pd.DataFrame
    quota: QuotaSummary

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class QuotaSummary:
    """Places and money for one reconciliation (``docs/DESIGN.md``).

    ``places_used`` counts the places current participants hold (KEEP + REVERIFY) before
    anyone new is enrolled; ``free_places = max(0, cap - places_used)``;
    ``places_after_enrolment = places_used + enrolled``. ``budget_cap`` and
    ``budget_covers`` are the people the annual budget pays for twelve months (``None``
    without a budget).
    """

    cap: int
    quota: int
    budget_cap: int | None
    places_used: int
    free_places: int
    enrolled: int
    waitlisted: int
    monthly_cost_idr: int
    annual_cost_idr: int
    budget_covers: int | None
    # additions to the design's fields ------------------------------------------------
    annual_budget_idr: int | None = None
    monthly_contribution_idr: int = 0
    places_after_enrolment: int = 0


@dataclass(frozen=True)
class WhatIf:
    """The effect of other quota/budget parameters on the same entries (nothing else
    changes: participants keep their decisions, the ranking stays the same)."""

    current: QuotaSummary
    proposed: QuotaSummary
    #: positive: more people enrolled with the proposed parameters; negative: fewer
    additional_enrolled: int
    additional_monthly_cost_idr: int
    additional_annual_cost_idr: int
    #: current participants beyond the proposed cap (they are not removed: 0 free places)
    over_cap: int
    #: of the people who would be enrolled in addition, how many per desil
    additional_by_desil: dict[int, int]


def budget_places(params: RuleParameters) -> int | None:
    """People the annual budget pays for twelve months (``None`` without a budget)."""
    if params.annual_budget_idr is None:
        return None
    yearly = MONTHS_PER_YEAR * params.monthly_contribution_idr
    if yearly <= 0:
        raise InvalidInput("monthly_contribution_idr must be positive when a budget is set")
    return max(0, int(params.annual_budget_idr) // yearly)


def place_cap(params: RuleParameters) -> int:
    """The cap on city-paid places: the quota, or the smaller of the quota and
    :func:`budget_places` when a budget is set."""
    budget = budget_places(params)
    return params.quota if budget is None else min(params.quota, budget)


def free_places(places_used: int, params: RuleParameters) -> int:
    """``max(0, cap - places_used)``."""
    return max(0, place_cap(params) - places_used)


def priority_order(
    desil: pd.Series | np.ndarray,
    pkh: pd.Series | np.ndarray,
    birth_date: pd.Series | np.ndarray,
    nik: pd.Series | np.ndarray,
) -> np.ndarray:
    """Positions of the candidates in priority order (a permutation of ``range(n)``):
    desil ascending, PKH recipients first, earlier birth date first, NIK ascending.

    ``nik``: the NIKs as text, or already as ``int64`` keys (``domain.identity.nik_keys``).
    Missing values sort last within their key (they do not occur for eligible people).
    """
    d = pd.to_numeric(pd.Series(desil)).fillna(np.iinfo(np.int16).max).to_numpy(dtype=np.int64)
    p = np.where(pd.Series(pkh).fillna(False).to_numpy(dtype=bool), 0, 1)
    b = np.asarray(birth_date, dtype="datetime64[ns]").astype(np.int64)
    b = np.where(b == np.iinfo(np.int64).min, np.iinfo(np.int64).max, b)  # NaT last
    if isinstance(nik, np.ndarray) and np.issubdtype(nik.dtype, np.integer):
        keys = nik.astype(np.int64, copy=False)
    else:
        keys = nik_keys(pd.Series(nik))
    # 16-digit NIKs order as their int64 keys; anything else is ordered as text
    n = (
        keys
        if (keys >= 0).all()
        else pd.Series(nik).astype("str").fillna("").to_numpy(dtype=object)
    )
    # np.lexsort: the last key is the primary one; the NIK breaks every tie
    return np.lexsort((n, b, p, d))


def priority_ranks(
    desil: pd.Series | np.ndarray,
    pkh: pd.Series | np.ndarray,
    birth_date: pd.Series | np.ndarray,
    nik: pd.Series | np.ndarray,
) -> np.ndarray:
    """Each candidate's 1-based rank (``int64``) in :func:`priority_order`."""
    order = priority_order(desil, pkh, birth_date, nik)
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1, dtype=np.int64)
    return ranks


def allocate(ranks: np.ndarray, free: int) -> np.ndarray:
    """``ENROLL`` for ranks within the free places, ``WAITLIST`` beyond."""
    return np.where(ranks <= free, Decision.ENROLL.value, Decision.WAITLIST.value)


def summarise(places_used: int, candidates: int, params: RuleParameters) -> QuotaSummary:
    """The quota summary for ``places_used`` (KEEP + REVERIFY) and ``candidates`` ranked
    eligible residents, under ``params``."""
    if places_used < 0 or candidates < 0:
        raise InvalidInput("places_used and candidates cannot be negative")
    cap = place_cap(params)
    free = free_places(places_used, params)
    enrolled = min(free, candidates)
    monthly = (places_used + enrolled) * params.monthly_contribution_idr
    budget = budget_places(params)
    return QuotaSummary(
        cap=cap,
        quota=params.quota,
        budget_cap=budget,
        places_used=places_used,
        free_places=free,
        enrolled=enrolled,
        waitlisted=candidates - enrolled,
        monthly_cost_idr=monthly,
        annual_cost_idr=MONTHS_PER_YEAR * monthly,
        budget_covers=budget,
        annual_budget_idr=params.annual_budget_idr,
        monthly_contribution_idr=params.monthly_contribution_idr,
        places_after_enrolment=places_used + enrolled,
    )


def _counts(entries: pd.DataFrame) -> tuple[int, int]:
    decision = entries["decision"].astype("str")
    used = int(decision.isin([Decision.KEEP.value, Decision.REVERIFY.value]).sum())
    candidates = int(decision.isin([Decision.ENROLL.value, Decision.WAITLIST.value]).sum())
    return used, candidates


def whatif(
    current: Reconciled | pd.DataFrame,
    params: RuleParameters,
    *,
    current_params: RuleParameters | None = None,
) -> WhatIf:
    """How many more people would be enrolled, and at what cost, under ``params`` (e.g. a
    new budget or quota), on the same entries.

    ``current``: a :class:`domain.reconcile.Reconciliation` (its quota summary is the
    baseline) or its ``entries`` frame (the baseline is then recomputed with
    ``current_params``, default ``params`` with the entries' own decisions). Only the
    quota, budget and contribution matter here; other rule parameters need a new
    reconciliation.
    """
    if isinstance(current, pd.DataFrame):
        entries = current
        base = _summary_of_entries(entries, current_params or params)
    else:
        entries = getattr(current, "entries", None)
        base = getattr(current, "quota", None)
        if not isinstance(entries, pd.DataFrame) or not isinstance(base, QuotaSummary):
            raise TypeError("whatif needs a Reconciliation or its entries frame")
    used, candidates = _counts(entries)
    proposed = summarise(used, candidates, params)
    ranked = entries[
        entries["decision"].astype("str").isin([Decision.ENROLL.value, Decision.WAITLIST.value])
    ]
    rank = pd.to_numeric(ranked["priority_rank"]).to_numpy()
    newly = (rank > base.enrolled) & (rank <= proposed.enrolled)
    by_desil = (
        pd.to_numeric(ranked["desil"][newly]).value_counts().sort_index()
        if newly.any()
        else pd.Series(dtype="int64")
    )
    return WhatIf(
        current=base,
        proposed=proposed,
        additional_enrolled=proposed.enrolled - base.enrolled,
        additional_monthly_cost_idr=proposed.monthly_cost_idr - base.monthly_cost_idr,
        additional_annual_cost_idr=proposed.annual_cost_idr - base.annual_cost_idr,
        over_cap=max(0, used - proposed.cap),
        additional_by_desil={int(k): int(v) for k, v in by_desil.items()},
    )


def _summary_of_entries(entries: pd.DataFrame, params: RuleParameters) -> QuotaSummary:
    """The summary of entries as they are (their own ENROLL count), with the cap and costs
    of ``params``."""
    used, candidates = _counts(entries)
    enrolled = int((entries["decision"].astype("str") == Decision.ENROLL.value).sum())
    monthly = (used + enrolled) * params.monthly_contribution_idr
    return replace(
        summarise(used, candidates, params),
        enrolled=enrolled,
        waitlisted=candidates - enrolled,
        monthly_cost_idr=monthly,
        annual_cost_idr=MONTHS_PER_YEAR * monthly,
        places_after_enrolment=used + enrolled,
    )
