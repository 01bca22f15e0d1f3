"""The quarantine: rows that break the contract, written to a rejects file for the provider.

One rejects file per extract and period, ``<work_dir>/rejects/<source>_<YYYYMM>_rejects.csv``
(UTF-8, ``|``-separated, standard CSV quoting where a value holds ``|``, ``"`` or a line
break). One line per (row, broken rule): ``line`` (the row's line in the delivered file),
``column``, ``rule``, ``action`` (``REMOVED``: the row is kept out of reconciliation;
``KEPT``: the BPJS row is reconciled with this value nulled, or its control characters
blanked, ``ExtractSpec.essential``), ``message``, then the row's original values exactly
as delivered (every contract column), and ``raw_line``, the whole line, for rows whose
fields could not be separated (``FIELD_COUNT``). The file is written even when empty
(header only), so that a run always has one per extract.

This file carries personal data (it goes back to the provider, like the registry goes to
its readers); it is never logged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from domain.extracts import LINE
from domain.periods import compact
from expectations import predicates as p
from expectations.parse import ParsedExtract

__all__ = [
    "KEPT",
    "RAW_LINE",
    "REJECT_COLUMNS",
    "REMOVED",
    "rejects_frame",
    "rejects_path",
    "write_rejects",
]

#: the leading columns of a rejects file; the contract's columns follow, then ``raw_line``
REJECT_COLUMNS = ("line", "column", "rule", "action", "message")
RAW_LINE = "raw_line"
#: ``action``: the row left reconciliation / the row was reconciled, this value nulled
REMOVED = "REMOVED"
KEPT = "KEPT"


def rejects_path(work_dir: Path, label: str, period: str) -> Path:
    """``<work_dir>/rejects/<label>_<YYYYMM>_rejects.csv``."""
    return Path(work_dir) / "rejects" / f"{label}_{compact(period)}_rejects.csv"


def rejects_frame(parsed: ParsedExtract) -> pd.DataFrame:
    """One row per (data row, rejecting or repaired rule it breaks), ordered by line,
    with the row's original values; ``action`` is REMOVED for every line of a rejected
    row, KEPT for the others."""
    raw = parsed.raw.frame
    contract = list(parsed.spec.column_names)
    removed = parsed.rejected_mask()
    pieces: list[pd.DataFrame] = []
    for check in (*parsed.rejects, *parsed.repairs):
        rows = np.flatnonzero(check.mask)
        if not len(rows):
            continue
        values = raw.iloc[rows]
        piece = pd.DataFrame(
            {
                "line": values[LINE].to_numpy(dtype=np.int64),
                "column": check.column,
                "rule": check.rule,
                "action": np.where(removed[rows], REMOVED, KEPT),
                "message": check.message,
            }
        )
        for column in contract:
            piece[column] = values[column].to_numpy()
        piece[RAW_LINE] = None
        pieces.append(piece)

    bad = parsed.raw.bad_rows
    if len(bad):
        piece = pd.DataFrame(
            {
                "line": bad[LINE].to_numpy(dtype=np.int64),
                "column": "",
                "rule": p.FIELD_COUNT,
                "action": REMOVED,
                "message": (
                    "the line has "
                    + bad["fields"].astype("str")
                    + f" fields; the header has {parsed.raw.expected_fields}"
                ).to_numpy(),
            }
        )
        for column in contract:
            piece[column] = None
        piece[RAW_LINE] = bad["text"].to_numpy()
        pieces.append(piece)

    columns = [*REJECT_COLUMNS, *contract, RAW_LINE]
    if not pieces:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c == "line" else "str") for c in columns}
        )
    out = pd.concat(pieces, ignore_index=True)[columns]
    return out.sort_values("line", kind="stable").reset_index(drop=True)


def write_rejects(frame: pd.DataFrame, path: Path) -> Path:
    """Write the rejects file (replacing an older one of the same run and period)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, sep="|", index=False, lineterminator="\n", encoding="utf-8")
    tmp.replace(path)
    return path
