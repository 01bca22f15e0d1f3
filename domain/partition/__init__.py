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

from domain.partition.changes import (
    ChangesPart,
    detect_changes_partition,
    detect_changes_partitioned,
    iter_split_changes,
    merge_changes,
    split_changes,
)
from domain.partition.keys import partition_of
from domain.partition.reconcile import (
    PartialResult,
    ReconcilePart,
    iter_split,
    merge,
    reconcile_partition,
    reconcile_partitioned,
    split,
)

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
