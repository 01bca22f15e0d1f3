"""Reconciliation and change detection split into partitions of people by NIK, so that
the heavy work can run on several workers (Dask) and be merged back into exactly what
:func:`domain.reconcile.reconcile` and :func:`domain.changes.detect_changes` return.

The contract: for every ``n >= 1``::

    merge([reconcile_partition(p, params) for p in split(inputs, n, params)], params, period)

is *identical* to ``reconcile(inputs, params)``: the same entries (rows, order, values,
dtypes), quota summary, counts and reason counts; and :func:`detect_changes_partitioned`
is identical to ``detect_changes``. No rule is re-stated here: the partitions call
reconcile's and change detection's own building blocks (``participant_facts``,
``participant_reasons``, ``eligible_residents``, ``resident_facts``, ``priority_order``,
``detect_changes``...). Two pieces of reconcile's *assembly* are mirrored, and guarded
by the identity tests (``tests/unit/partition``): a participant's effective NIK
(:func:`_effective_niks`), and the resident entries, split into the rank-independent part
built on the workers (with the costly ``ELIGIBLE`` evidence clause) and the
rank-dependent part built by :func:`merge`.

**The partition of a person** (:func:`partition_of`) is a function of the NIK text alone,
the same in every process and on every machine (never Python's salted ``hash()``): a
well-formed NIK's ``int64`` key (:func:`domain.identity.nik_keys`) goes through the
SplitMix64 finaliser, then modulo ``n``; any other text (a malformed BPJS NIK) through a
64-bit FNV-1a digest of its code points, then the same finaliser. Everything that is
"about one NIK" therefore lands in one partition: the Dukcapil and DTSEN records with
that NIK, every BPJS row carrying it, every entry about it.

**What each partition gets** (:func:`split`, run once on the driver, :class:`ReconcilePart`):

* Dukcapil and DTSEN rows, by their NIK (only the columns the rules read);
* current participants (city-paid ``AKTIF`` BPJS rows), by their *effective* NIK: the
  re-verification's ``nik_baru`` where a ``NIK_DIKOREKSI`` outcome corrected it, else the
  BPJS NIK. An exactly matched (or corrected) participant thus sits with its own Dukcapil
  and DTSEN records, and all active city-paid rows of one NIK sit together, so
  ``DUPLICATE_ENROLLMENT`` (earliest ``TGL_AKTIF``, then lowest KPJ) is decided locally;
* other payers' active BPJS rows, by their NIK: ``DOUBLE_FUNDED`` is local too;
* the re-verification outcomes and the previous release's terminated KPJs of its own
  participants (both are keyed by KPJ).

**What crosses partitions, and the small global pre-pass that handles it** (driver side,
in :func:`split`/:func:`iter_split`: the typo rule runs over the few participants whose
NIK is not in Dukcapil, against the records born on their birth dates; the rest of the
driver's work is vectorised bookkeeping over NIK keys and the copying of rows into
parts):

1. *Probable typos.* A mistyped NIK is, by definition, not the NIK of its Dukcapil record,
   so the suggested record normally lives in another partition, and "exactly one
   candidate" is a global count. The driver runs the typo rule itself
   (``domain.matching``'s birth-date-blocked candidate pairs) for the participants whose
   effective NIK is absent from Dukcapil, and appends to each partition's Dukcapil frame
   the *foreign* records (from other partitions) that meet the rule for one of its
   participants (rows ``local_rows`` onwards). Every record that meets the rule for a
   participant is then present in its partition, and no record that is absent could meet
   it, so the partition's own matching (``match_participants``, unchanged) finds the same
   candidates, count and suggestion as the global one. Foreign rows are never residents of
   the partition: only rows before ``local_rows`` are considered for eligibility.
2. *Coverage.* A resident is "not yet covered" when no ``AKTIF`` BPJS row (any payer)
   carries their NIK and no participant is linked to their record (matched exactly, by a
   correction, or as the suggestion of a probable typo). The driver routes, to the
   partition of each NIK concerned, the keys of every active BPJS row's NIK (a corrected
   participant's *original* NIK may live elsewhere) and of every typo suggestion
   (``covered_keys``); links by exact match are local by construction.
3. *The quota.* Free places, the priority ranking (desil, PKH, age, NIK: a total order),
   ENROLL / WAITLIST, every rank in the evidence (``rank 12 of 3,456 (free places 100)``)
   and the quota summary are global: each partition returns its eligible uncovered
   residents unranked with their ranking keys, and :func:`merge` ranks them all at once.
   Participants' entries are final in their partition (their evidence reads nothing
   global) and are merged in KPJ order, as ``reconcile`` orders them.

Errors are those of ``reconcile``: missing columns, a bad period, duplicate or missing
KPJs, malformed Dukcapil/DTSEN NIKs are raised by :func:`split` (driver side); duplicate
Dukcapil/DTSEN NIKs are raised by the partition that holds them (all copies of a NIK are
in one partition; the count in the message is that partition's).

**Change detection** compares each person's baseline and current records by NIK and
reports per NIK, so it splits without any pre-pass: :func:`split_changes` partitions the
four frames and the scope by NIK text, :func:`detect_changes_partition` is
``detect_changes`` on one partition, and :func:`merge_changes` concatenates and re-sorts
(by NIK, change type, source: unique per row, so the order is the global one).

This module is pure (pandas/numpy, no I/O); ``tasks.partitioned`` runs the partitions as
mapped Prefect tasks on Dask workers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.changes import (
    _DTSEN_COLUMNS,
    _DUKCAPIL_COLUMNS,
    _TYPE_ORDER,
    CHANGE_COLUMNS,
    _columns,
    detect_changes,
    empty_changes,
)
from domain.codes import Decision, MatchMethod, Source
from domain.decisions import (
    ACTIVE,
    REASONS,
    _text,
    code_values,
    verification_outcomes,
)
from domain.eligibility import eligible_residents
from domain.explain import CLAUSE_SEPARATOR, PRIORITY, eligible_clause
from domain.identity import nik_keys, normalise_nik
from domain.matching import NIK_LENGTH, typo_pairs
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
    current_participants,
    participant_entries,
    participant_phase,
    resident_facts,
)
from domain.rules import RuleParameters

__all__ = [
    "ChangesPart",
    "PartialResult",
    "ReconcilePart",
    "detect_changes_partition",
    "detect_changes_partitioned",
    "iter_split",
    "iter_split_changes",
    "merge",
    "merge_changes",
    "partition_of",
    "reconcile_partition",
    "reconcile_partitioned",
    "split",
    "split_changes",
]

#: ranking keys carried by a partial result's candidates: the NIK as an ``int64`` key,
#: the PKH flag and the birth date
KEY = "_nik_key"
PKH = "_pkh"
BORN = "_tgl_lhr"

# -- the partition of a NIK ----------------------------------------------------------------
_SPLITMIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_SPLITMIX_2 = np.uint64(0x94D049BB133111EB)
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _finalise(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (a bijection of ``uint64`` that spreads every input bit)."""
    x = np.asarray(x, dtype=np.uint64).copy()
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= _SPLITMIX_1
        x ^= x >> np.uint64(27)
        x *= _SPLITMIX_2
        x ^= x >> np.uint64(31)
    return x


def _text_digest(texts: pd.Series) -> np.ndarray:
    """A stable 64-bit FNV-1a digest of each text's code points and length (null as the
    empty text): vectorised over rows, one step per character position."""
    s = pd.Series(texts, dtype="str").fillna("")
    n = len(s)
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    if n == 0:
        return h
    lengths = s.str.len().to_numpy(dtype=np.int64)
    width = max(int(lengths.max()), 1)
    points = (
        np.asarray(s.to_numpy(dtype=object), dtype=f"<U{width}")
        .view(np.uint32)
        .reshape(n, width)
        .astype(np.uint64)
    )
    with np.errstate(over="ignore"):
        for i in range(width):  # characters, not people
            live = i < lengths
            h = np.where(live, (h ^ points[:, i]) * _FNV_PRIME, h)
        h = (h ^ lengths.astype(np.uint64)) * _FNV_PRIME
    return h


def _partition_of_keys(keys: np.ndarray, n: int) -> np.ndarray:
    """Partition of well-formed NIKs given as ``int64`` keys (``nik_keys``)."""
    mixed = _finalise(np.asarray(keys, dtype=np.int64).view(np.uint64))
    return (mixed % np.uint64(n)).astype(np.int64)


def _partition_of_text(texts: pd.Series, n: int) -> np.ndarray:
    """Partition of NIK texts as given (not stripped): equal texts, equal partitions."""
    _check_partitions(n)
    keys = nik_keys(pd.Series(texts))
    out = _partition_of_keys(np.where(keys >= 0, keys, 0), n)
    bad = keys < 0
    if bad.any():
        digest = _finalise(_text_digest(pd.Series(texts).iloc[np.flatnonzero(bad)]))
        out[bad] = (digest % np.uint64(n)).astype(np.int64)
    return out


def partition_of(nik: pd.Series, n: int) -> np.ndarray:
    """The partition (``0 .. n-1``, ``int64``) of each NIK, after stripping surrounding
    white space (:func:`domain.identity.normalise_nik`, as the rules compare NIKs).

    Deterministic across processes, machines and runs: well-formed NIKs by their
    ``int64`` key through the SplitMix64 finaliser, anything else (letters, 15 or 17
    characters, empty, null) by a 64-bit FNV-1a digest of the text. Vectorised.
    """
    return _partition_of_text(normalise_nik(pd.Series(nik)).astype("str"), n)


def _check_partitions(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of partitions must be a positive integer, got {n!r}")


def _groups(part: np.ndarray, n: int) -> list[np.ndarray]:
    """Row positions of each partition ``0 .. n-1``, ascending within each."""
    small = part.astype(np.int16) if n <= np.iinfo(np.int16).max else part
    order = np.argsort(small, kind="stable")  # a radix sort for 16-bit keys
    bounds = np.concatenate([[0], np.cumsum(np.bincount(part, minlength=n))])
    return [order[bounds[i] : bounds[i + 1]] for i in range(n)]


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
        raise ValueError(f"{source}: {bad:,} NIKs are not 16 digits; validate the extract first")
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
    _check_partitions(n)
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
    d_part = _partition_of_keys(d_keys, n)
    t_part = _partition_of_keys(t_keys, n)

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
        for i, rows in enumerate(_groups(home[away], n)):
            foreign[i] = np.unique(row[away][rows])
        per_pid = np.bincount(pid, minlength=len(current))
        suggested_keys = d_keys[row[per_pid[pid] == 1]]

    # coverage from outside the partition: every active BPJS NIK, every suggestion ----------
    active = (code_values(bpjstk["STATUS_KEPESERTAAN"]) == ACTIVE).to_numpy(dtype=bool)
    active_keys = nik_keys(normalise_nik(bpjstk.loc[active, "NIK"]))
    covered = np.unique(np.concatenate([active_keys[active_keys >= 0], suggested_keys]))
    c_part = _partition_of_keys(covered, n)

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
        dukcapil_rows=_groups(d_part, n),
        dtsen_rows=_groups(t_part, n),
        participant_rows=_groups(p_part, n),
        other_rows=_groups(o_part, n),
        covered_rows=_groups(c_part, n),
        verified_rows=None if v_part is None else _groups(v_part + 1, n + 1)[1:],
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
        + f"{CLAUSE_SEPARATOR}{PRIORITY}: rank "
        + pd.Series(ranks, index=residents.index).astype("str")
        + f" of {n:,} (free places {free:,})",
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
        raise ValueError("merge needs the partial result of every partition, got none")
    n = items[0].partitions
    indices = sorted(p.index for p in items)
    if indices != list(range(n)) or any(p.partitions != n for p in items):
        raise ValueError(
            f"merge needs each of the {n} partitions exactly once, got partitions {indices}"
        )
    periods = {p.period for p in items}
    if periods != {period}:
        raise ValueError(f"partial results are for {sorted(periods)}, not {period}")


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


# -- change detection ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ChangesPart:
    """One partition's share of change detection: the Dukcapil and DTSEN frames of both
    periods (only the compared columns) and the NIKs in scope, by NIK."""

    index: int
    partitions: int
    baseline: dict[Source, pd.DataFrame] = field(repr=False)
    current: dict[Source, pd.DataFrame] = field(repr=False)
    scope_niks: pd.Series = field(repr=False)


_CHANGE_SOURCES = {Source.DUKCAPIL: _DUKCAPIL_COLUMNS, Source.DTSEN: _DTSEN_COLUMNS}


def split_changes(
    baseline: Mapping[Source, pd.DataFrame],
    current: Mapping[Source, pd.DataFrame],
    scope_niks: pd.Series,
    n: int,
) -> list[ChangesPart]:
    """Split change detection's inputs into ``n`` partitions by NIK text (equal NIKs,
    equal partitions). Sources other than Dukcapil and DTSEN are not compared and not
    carried; a source missing on either side stays missing in every part."""
    return list(iter_split_changes(baseline, current, scope_niks, n))


def iter_split_changes(
    baseline: Mapping[Source, pd.DataFrame],
    current: Mapping[Source, pd.DataFrame],
    scope_niks: pd.Series,
    n: int,
) -> Iterator[ChangesPart]:
    """:func:`split_changes` one part at a time (checks and partition ids first)."""
    _check_partitions(n)
    sides: list[dict[Source, tuple[pd.DataFrame, list[np.ndarray]]]] = []
    for frames in (baseline, current):
        side: dict[Source, tuple[pd.DataFrame, list[np.ndarray]]] = {}
        for source, columns in _CHANGE_SOURCES.items():
            frame = _columns(frames.get(source), columns)  # raises on missing columns
            if frame is None:
                continue
            side[source] = (frame, _groups(_partition_of_text(frame["NIK"].astype("str"), n), n))
        sides.append(side)
    scope = pd.Series(scope_niks).reset_index(drop=True)
    scope_groups = _groups(_partition_of_text(scope.astype("str"), n), n)
    return _changes_parts(n, sides, scope, scope_groups)


def _changes_parts(n, sides, scope, scope_groups) -> Iterator[ChangesPart]:
    """The parts of :func:`iter_split_changes`, built when asked for."""
    for i in range(n):
        yield ChangesPart(
            index=i,
            partitions=n,
            baseline={s: f.iloc[g[i]].reset_index(drop=True) for s, (f, g) in sides[0].items()},
            current={s: f.iloc[g[i]].reset_index(drop=True) for s, (f, g) in sides[1].items()},
            scope_niks=scope.iloc[scope_groups[i]].reset_index(drop=True),
        )


def detect_changes_partition(part: ChangesPart, params: RuleParameters) -> pd.DataFrame:
    """``detect_changes`` on one partition (every comparison is within one NIK)."""
    return detect_changes(part.baseline, part.current, part.scope_niks, params)


def merge_changes(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Every partition's changes as one frame in ``detect_changes``' order (NIK, change
    type, source)."""
    full = [p for p in parts if len(p)]
    if not full:
        return empty_changes()
    out = pd.concat(full, ignore_index=True)
    order = out["change_type"].map(_TYPE_ORDER)
    out = (
        out.assign(_order=order)
        .sort_values(["nik", "_order", "source"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    return out[list(CHANGE_COLUMNS)]


def detect_changes_partitioned(
    baseline: Mapping[Source, pd.DataFrame],
    current: Mapping[Source, pd.DataFrame],
    scope_niks: pd.Series,
    params: RuleParameters,
    partitions: int,
) -> pd.DataFrame:
    """:func:`split_changes`, :func:`detect_changes_partition` for each part in turn,
    :func:`merge_changes`: the same result as ``detect_changes``."""
    parts = split_changes(baseline, current, scope_niks, partitions)
    return merge_changes([detect_changes_partition(p, params) for p in parts])
