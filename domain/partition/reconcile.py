"""Reconciliation on partitions: :func:`split` (the driver's pre-pass and routing),
:func:`reconcile_partition` (a worker's share), :func:`merge` (the global ranking and the
assembly of the entries), identical to :func:`domain.reconcile.reconcile`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.errors import InvalidInput
from domain.codes import Decision, MatchMethod
from domain.decisions import (
    REASONS,
    _text,
    code_values,
    verification_outcomes,
)
from domain.eligibility import eligible_residents
from domain.explain import CLAUSE_SEPARATOR, eligible_clause, priority_clause
from domain.identity import nik_keys, normalise_nik
from domain.matching import NIK_LENGTH, typo_pairs
from domain.partition.keys import (
    check_partitions,
    partition_of,
    partition_of_keys,
    positions_by_partition,
)
from domain.periods import reference_date
from domain.quota import QuotaSummary, allocate, priority_order, summarise
from domain.reconcile import (
    CITY_PAYER,
    ENTRY_COLUMNS,
    ENTRY_DTYPES,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ReconcileInputs,
    Reconciliation,
    check_columns,
    covering_rows,
    current_participants,
    participant_entries,
    participant_phase,
    resident_facts,
)
from domain.rules import RuleParameters

#: ranking keys carried by a partial result's candidates: the NIK as an ``int64`` key,
#: the PKH flag and the birth date
KEY = "_nik_key"



PKH = "_pkh"



BORN = "_tgl_lhr"



# -- reconciliation: split -------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ReconcilePart:
    """One partition's share of a period's inputs (see the module docstring).

    ``dukcapil`` holds this partition's Dukcapil rows (positions ``0 .. local_rows-1``)
    followed by foreign records some participant here may be a probable typo of;
    ``covered_keys`` are ``int64`` NIK keys of this partition's residents that something
    outside it covers (an active BPJS row, a typo suggestion).
    """

    period: str
    index: int
    partitions: int
    dukcapil: pd.DataFrame = field(repr=False)
    local_rows: int
    dtsen: pd.DataFrame = field(repr=False)
    bpjstk: pd.DataFrame = field(repr=False)
    previous_terminated_kpjs: frozenset[str] = field(repr=False)
    verified: pd.DataFrame | None = field(repr=False)
    covered_keys: np.ndarray = field(repr=False)

    @property
    def inputs(self) -> ReconcileInputs:
        """The part as :class:`~domain.reconcile.ReconcileInputs` (what reconcile's building
        blocks read)."""
        return ReconcileInputs.from_frames(
            self.period,
            {"dukcapil": self.dukcapil, "dtsen": self.dtsen, "bpjstk": self.bpjstk},
            self.previous_terminated_kpjs,
            self.verified,
        )

    @property
    def rows(self) -> dict[str, int]:
        """Rows per frame (for logs and the UI: no personal data)."""
        return {
            "dukcapil": self.local_rows,
            "typo_candidates": len(self.dukcapil) - self.local_rows,
            "dtsen": len(self.dtsen),
            "bpjstk": len(self.bpjstk),
            "verified": 0 if self.verified is None else len(self.verified),
        }



def _effective_niks(current: pd.DataFrame, verified: pd.DataFrame | None) -> pd.Series:
    """Each current participant's NIK after re-verification corrections: exactly the
    ``nik`` of reconcile's participant facts (stripped BPJS NIK, empty as null, replaced by
    ``nik_baru`` where a ``NIK_DIKOREKSI`` outcome applies)."""
    outcome = verification_outcomes(verified, current["KPJ"].astype("str"))
    nik_bpjs = normalise_nik(current["NIK"]).astype("str")
    nik_bpjs = nik_bpjs.where(nik_bpjs.str.len() > 0)
    corrected = outcome["nik_baru"].notna().to_numpy(dtype=bool)
    return nik_bpjs.where(~corrected, outcome["nik_baru"]).astype("str")



def _source_keys(frame: pd.DataFrame, source: str) -> np.ndarray:
    """``int64`` keys of a Dukcapil/DTSEN frame's NIKs; malformed ones raise ``ValueError``
    with ``NikIndex``'s message (reconcile raises it too)."""
    keys = nik_keys(frame["NIK"])
    bad = int((keys < 0).sum())
    if bad:
        raise InvalidInput(f"{source}: {bad:,} NIKs are not 16 digits; validate the extract first")
    return keys



def _members(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """``np.isin(values, pool)`` for ``int64`` keys, with a hash set of the *smaller* side
    (here: a few hundred thousand participants against millions of residents)."""
    values = np.asarray(values, dtype=np.int64)
    pool = np.asarray(pool, dtype=np.int64)
    if len(values) == 0 or len(pool) == 0:
        return np.zeros(len(values), dtype=bool)
    if len(values) <= len(pool):
        small = pa.array(np.unique(values))
        hit = pc.is_in(pa.array(pool), value_set=small).to_numpy(zero_copy_only=False)
        return np.isin(values, np.unique(pool[hit]))
    hit = pc.is_in(pa.array(values), value_set=pa.array(np.unique(pool)))
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)



def split(inputs: ReconcileInputs, n: int, params: RuleParameters) -> list[ReconcilePart]:
    """Split one period's inputs into ``n`` partitions (see the module docstring).

    ``params`` is needed here because the probable-typo rule (name similarity, digit
    edits) decides which foreign Dukcapil records a partition must see. Raises
    ``ValueError`` as ``reconcile`` does for bad inputs.
    """
    return list(iter_split(inputs, n, params))



def iter_split(inputs: ReconcileInputs, n: int, params: RuleParameters) -> Iterator[ReconcilePart]:
    """:func:`split` one part at a time: the global pre-pass (and every input check) runs
    before the first part is yielded, then each part is built only when asked for, so a
    caller that stores each part before taking the next holds one part at a time."""
    check_partitions(n)
    reference_date(inputs.period)  # a bad period raises here, as in reconcile
    check_columns(inputs)
    dukcapil = inputs.dukcapil[list(REQUIRED_COLUMNS["dukcapil"])]
    dtsen = inputs.dtsen[
        list(REQUIRED_COLUMNS["dtsen"])
        + [c for c in OPTIONAL_COLUMNS["dtsen"] if c in inputs.dtsen.columns]
    ]
    bpjstk = inputs.bpjstk[list(REQUIRED_COLUMNS["bpjstk"])]
    d_keys = _source_keys(dukcapil, "dukcapil")
    t_keys = _source_keys(dtsen, "dtsen")
    d_part = partition_of_keys(d_keys, n)
    t_part = partition_of_keys(t_keys, n)

    # participants, by effective NIK -------------------------------------------------------
    current = current_participants(bpjstk)  # raises on missing/duplicate KPJs
    nik = _effective_niks(current, inputs.verified)
    p_part = partition_of(nik, n)
    kpj = current["KPJ"].astype("str")

    # probable typos: the driver's global pre-pass -----------------------------------------
    p_keys = nik_keys(nik)
    exact = _members(p_keys, d_keys)
    birth = pd.to_datetime(current["TGL_LAHIR"]).to_numpy()
    typo_able = ~exact & ~pd.isna(birth) & (nik.str.len() == NIK_LENGTH).fillna(False).to_numpy()
    foreign: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * n
    suggested_keys = np.zeros(0, dtype=np.int64)
    if typo_able.any():
        pairs = typo_pairs(
            np.flatnonzero(typo_able), nik, current["NAMA"], birth, dukcapil, params
        )
        pid = pairs["pid"].to_numpy(dtype=np.int64)
        row = pairs["row"].to_numpy(dtype=np.int64)
        home, there = p_part[pid], d_part[row]
        away = home != there
        for i, rows in enumerate(positions_by_partition(home[away], n)):
            foreign[i] = np.unique(row[away][rows])
        per_pid = np.bincount(pid, minlength=len(current))
        suggested_keys = d_keys[row[per_pid[pid] == 1]]

    # coverage from outside the partition: every active BPJS NIK, every suggestion ----------
    active = covering_rows(bpjstk)
    active_keys = nik_keys(normalise_nik(bpjstk.loc[active, "NIK"]))
    covered = np.unique(np.concatenate([active_keys[active_keys >= 0], suggested_keys]))
    c_part = partition_of_keys(covered, n)

    # other payers' active rows, by their NIK -------------------------------------------------
    others = bpjstk[active & (code_values(bpjstk["SUMBER_IURAN"]) != CITY_PAYER).to_numpy(bool)]
    o_part = partition_of(others["NIK"], n)

    # re-verification outcomes and pending terminations follow their KPJ ----------------------
    verified = inputs.verified
    v_part = None
    if verified is not None and len(verified):
        v_part = (
            _text(verified["kpj"]).map(pd.Series(p_part, index=kpj.to_numpy()))
            .fillna(-1)
            .to_numpy(dtype=np.int64)
        )  # fmt: skip
    terminated = frozenset(str(k).strip() for k in inputs.previous_terminated_kpjs)

    routing = _Routing(
        period=inputs.period,
        n=n,
        dukcapil=dukcapil,
        dtsen=dtsen,
        current=current,
        others=others,
        verified=verified,
        terminated=terminated,
        kpj=kpj,
        covered=covered,
        foreign=foreign,
        dukcapil_rows=positions_by_partition(d_part, n),
        dtsen_rows=positions_by_partition(t_part, n),
        participant_rows=positions_by_partition(p_part, n),
        other_rows=positions_by_partition(o_part, n),
        covered_rows=positions_by_partition(c_part, n),
        verified_rows=None if v_part is None else positions_by_partition(v_part + 1, n + 1)[1:],
    )
    return (routing.part(i) for i in range(n))



@dataclass(frozen=True, eq=False)
class _Routing:
    """The pre-pass's outcome: which rows of each frame go to which partition (positions,
    ascending) and the foreign typo candidates; :meth:`part` builds one part from it."""

    period: str
    n: int
    dukcapil: pd.DataFrame
    dtsen: pd.DataFrame
    current: pd.DataFrame
    others: pd.DataFrame
    verified: pd.DataFrame | None
    terminated: frozenset[str]
    kpj: pd.Series
    covered: np.ndarray
    foreign: list[np.ndarray]
    dukcapil_rows: list[np.ndarray]
    dtsen_rows: list[np.ndarray]
    participant_rows: list[np.ndarray]
    other_rows: list[np.ndarray]
    covered_rows: list[np.ndarray]
    verified_rows: list[np.ndarray] | None  # outcomes of no participant go nowhere

    def part(self, i: int) -> ReconcilePart:
        local = self.dukcapil_rows[i]
        kpjs = frozenset(self.kpj.iloc[self.participant_rows[i]].to_numpy(dtype=object))
        return ReconcilePart(
            period=self.period,
            index=i,
            partitions=self.n,
            dukcapil=self.dukcapil.iloc[np.concatenate([local, self.foreign[i]])].reset_index(
                drop=True
            ),
            local_rows=len(local),
            dtsen=self.dtsen.iloc[self.dtsen_rows[i]].reset_index(drop=True),
            bpjstk=pd.concat(
                [self.current.iloc[self.participant_rows[i]], self.others.iloc[self.other_rows[i]]],
                ignore_index=True,
            ),
            previous_terminated_kpjs=self.terminated & kpjs,
            verified=None
            if self.verified is None or self.verified_rows is None
            else self.verified.iloc[self.verified_rows[i]].reset_index(drop=True),
            covered_keys=self.covered[self.covered_rows[i]],
        )



# -- reconciliation: one partition -------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PartialResult:
    """What one partition hands back to :func:`merge`.

    ``participants``: final entries of its participants (ENTRY_COLUMNS, KPJ order);
    ``candidates``: the entries of its eligible residents not yet covered, unranked
    (:func:`_unranked_resident_entries`), with their ranking keys;
    ``places_used``: its KEEP + REVERIFY participants; ``reason_counts``: per reason.
    """

    period: str
    index: int
    partitions: int
    participants: pd.DataFrame = field(repr=False)
    candidates: pd.DataFrame = field(repr=False)
    places_used: int
    reason_counts: dict[str, int]



def reconcile_partition(part: ReconcilePart, params: RuleParameters) -> PartialResult:
    """Reconcile one partition: its participants completely, its residents up to the
    global ranking (which :func:`merge` does)."""
    inputs = part.inputs
    on = reference_date(inputs.period)
    dukcapil, dtsen = inputs.dukcapil, inputs.dtsen

    # participants: match, reasons, decision, entries (as reconcile does) -----------------
    phase = participant_phase(inputs, params, on)
    dukcapil_index, dtsen_rows = phase.dukcapil_index, phase.dtsen_rows
    places_used = phase.places_used
    p_entries = participant_entries(phase.facts, phase.flags, phase.cleared, phase.decision, on, params)

    # residents of this partition not yet covered -----------------------------------------------
    covered = np.union1d(phase.covered, np.asarray(part.covered_keys, dtype=np.int64))
    rows = eligible_residents(dukcapil, dtsen, dtsen_rows, on, params)
    rows = rows[rows < part.local_rows]  # foreign typo candidates are not residents here
    rows = rows[~np.isin(dukcapil_index.keys[rows], covered)]
    residents = resident_facts(dukcapil, dtsen, rows, dtsen_rows[rows], on)
    candidates = _unranked_resident_entries(residents, dukcapil_index.keys[rows])
    return PartialResult(
        period=part.period,
        index=part.index,
        partitions=part.partitions,
        participants=p_entries,
        candidates=candidates,
        places_used=places_used,
        reason_counts={r.value: int(phase.flags[r.value].sum()) for r in REASONS},
    )



def _unranked_resident_entries(residents: pd.DataFrame, keys: np.ndarray) -> pd.DataFrame:
    """Reconcile's resident entries (``domain.reconcile._resident_entries``) without what
    the global ranking decides: :func:`merge` fills in ``decision``, ``priority_rank``,
    ``monthly_contribution_idr`` and appends the ``PRIORITY`` clause to ``evidence`` (the
    costly ``ELIGIBLE`` clause is built here, on the workers). Carries the ranking keys
    ``desil``, :data:`PKH`, :data:`BORN` and :data:`KEY`."""
    idx = residents.index
    none = pd.Series(None, index=idx, dtype="str")
    return pd.DataFrame(
        {
            "nik": residents["nik"],
            "kpj": none,
            "nama": residents["nama"],
            "kode_kelurahan": residents["kode_kelurahan"],
            "kode_kecamatan": residents["kode_kelurahan"].str[:8],
            "desil": residents["desil"],
            "kategori": none,
            "jenis_kelamin": residents["jenis_kelamin"],
            "umur": residents["umur"],
            "kode_pekerjaan": residents["jenis_pkrjn"],
            "disabilitas": residents["disabilitas"],
            "reasons": pd.Series("", index=idx, dtype="str"),
            # the entry is the civil-registry record itself
            "match_method": pd.Series(MatchMethod.NIK_EXACT.value, index=idx, dtype="str"),
            "suggested_nik": none,
            "jkm_claim_alert": np.zeros(len(residents), dtype=bool),
            "evidence": eligible_clause(
                residents["desil"], residents["umur"], residents["jenis_pkrjn"], residents["pkh"]
            ),
            PKH: residents["pkh"],
            BORN: residents["tgl_lhr"],
            KEY: np.asarray(keys, dtype=np.int64),
        },
        index=idx,
    )



def _ranked(
    candidates: pd.DataFrame, places_used: int, params: RuleParameters
) -> tuple[pd.DataFrame, QuotaSummary]:
    """All partitions' candidates in priority order with the rank-dependent columns of
    their entries filled in, and the quota summary (as ``reconcile`` steps 4-5 do)."""
    order = priority_order(
        candidates["desil"], candidates[PKH], candidates[BORN], candidates[KEY].to_numpy()
    )
    residents = candidates.iloc[order].reset_index(drop=True)
    n = len(residents)
    ranks = np.arange(1, n + 1, dtype=np.int64)
    quota = summarise(places_used, n, params)
    free = quota.free_places
    decision = allocate(ranks, free)
    residents = residents.assign(
        decision=pd.Series(decision, index=residents.index, dtype="str"),
        priority_rank=pd.Series(ranks, index=residents.index, dtype="Int64"),
        monthly_contribution_idr=np.where(
            decision == Decision.ENROLL.value, params.monthly_contribution_idr, 0
        ).astype(np.int64),
        # explain.resident_evidence's PRIORITY clause, after the ELIGIBLE one
        evidence=residents["evidence"]
        + priority_clause(pd.Series(ranks, index=residents.index), n, free, lead=CLAUSE_SEPARATOR),
    )
    return residents, quota



# -- reconciliation: merge ---------------------------------------------------------------------
def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, leaving out empty frames (so they cannot change a column's dtype)."""
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0].iloc[0:0].reset_index(drop=True)
    return full[0].reset_index(drop=True) if len(full) == 1 else pd.concat(full, ignore_index=True)



def _check_complete(items: Sequence[PartialResult], period: str) -> None:
    if not items:
        raise InvalidInput("merge needs the partial result of every partition, got none")
    n = items[0].partitions
    indices = sorted(p.index for p in items)
    if indices != list(range(n)) or any(p.partitions != n for p in items):
        raise InvalidInput(
            f"merge needs each of the {n} partitions exactly once, got partitions {indices}"
        )
    periods = {p.period for p in items}
    if periods != {period}:
        raise InvalidInput(f"partial results are for {sorted(periods)}, not {period}")



def merge(partials: Sequence[PartialResult], params: RuleParameters, period: str) -> Reconciliation:
    """The reconciliation of the whole period from every partition's partial result: the
    participants in KPJ order, then the global ranking, quota and allocation of the
    eligible residents not yet covered (as ``reconcile`` does them)."""
    partials = list(partials)
    _check_complete(partials, period)

    participants = _concat([p.participants for p in partials])
    kpj = participants["kpj"].astype("str").to_numpy(dtype=object)
    participants = participants.iloc[np.argsort(kpj, kind="stable")].reset_index(drop=True)
    places_used = sum(p.places_used for p in partials)

    residents, quota = _ranked(_concat([p.candidates for p in partials]), places_used, params)

    entries = pd.concat([participants, residents[list(ENTRY_COLUMNS)]], ignore_index=True)
    entries = entries[list(ENTRY_COLUMNS)].astype(ENTRY_DTYPES)
    decisions = entries["decision"].value_counts()
    counts = {d.value: int(decisions.get(d.value, 0)) for d in Decision}
    reason_counts = {r.value: sum(p.reason_counts[r.value] for p in partials) for r in REASONS}
    return Reconciliation(
        period=period,
        rules_version=params.rules_version,
        entries=entries,
        quota=quota,
        counts=counts,
        reason_counts=reason_counts,
    )



def reconcile_partitioned(
    inputs: ReconcileInputs, params: RuleParameters, partitions: int
) -> Reconciliation:
    """:func:`split`, :func:`reconcile_partition` for each part in turn, :func:`merge`: the
    same result as ``reconcile`` (one process; ``tasks.partitioned`` runs parts on Dask)."""
    parts = split(inputs, partitions, params)
    return merge([reconcile_partition(p, params) for p in parts], params, inputs.period)

