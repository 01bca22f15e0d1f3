"""Change detection on partitions, identical to :func:`domain.changes.detect_changes`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from domain.changes import (
    _DTSEN_COLUMNS,
    _DUKCAPIL_COLUMNS,
    _TYPE_ORDER,
    CHANGE_COLUMNS,
    _columns,
    detect_changes,
    empty_changes,
)
from domain.codes import Source
from domain.partition.keys import check_partitions, positions_by_partition, partition_of_text
from domain.rules import RuleParameters


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
    check_partitions(n)
    sides: list[dict[Source, tuple[pd.DataFrame, list[np.ndarray]]]] = []
    for frames in (baseline, current):
        side: dict[Source, tuple[pd.DataFrame, list[np.ndarray]]] = {}
        for source, columns in _CHANGE_SOURCES.items():
            frame = _columns(frames.get(source), columns)  # raises on missing columns
            if frame is None:
                continue
            side[source] = (frame, positions_by_partition(partition_of_text(frame["NIK"].astype("str"), n), n))
        sides.append(side)
    scope = pd.Series(scope_niks).reset_index(drop=True)
    scope_groups = positions_by_partition(partition_of_text(scope.astype("str"), n), n)
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

