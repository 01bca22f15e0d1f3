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

import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from connectors.files import open_private, private_dirs
from domain.extracts import LINE
from domain.periods import compact
from expectations import predicates as p
from expectations.parse import ParsedExtract

__all__ = [
    "KEPT",
    "RAW_LINE",
    "REJECT_COLUMNS",
    "REMOVED",
    "rejected_lines",
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
    """Write the rejects file (replacing an older one of the same run and period), 0640 in
    0750 folders whatever the umask."""
    private_dirs(path.parent)
    # a temporary name of this writer's own: two runs of a period validating the same
    # delivery at once each write their copy and rename it into place (same content)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open_private(tmp, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, sep="|", index=False, lineterminator="\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def rejected_lines(path: Path, nik: str, nik_column: str = "NIK") -> pd.DataFrame:
    """The rejects of one person: ``line``, ``column``, ``rule`` of every line of the rejects
    file whose ``NIK`` (stripped) is ``nik``, or whose unsplittable raw line holds it
    (``FIELD_COUNT``), by line. Never the row's other values. Empty when there is no such
    file (nothing was validated for that source and period)."""
    empty = pd.DataFrame({"line": pd.Series(dtype="int64"), "column": pd.Series(dtype="str"),
                          "rule": pd.Series(dtype="str")})  # fmt: skip
    path = Path(path)
    if not path.is_file():
        return empty
    header = pd.read_csv(path, sep="|", nrows=0, encoding="utf-8").columns
    wanted = [c for c in (*REJECT_COLUMNS[:3], nik_column, RAW_LINE) if c in header]
    frame = pd.read_csv(
        path, sep="|", usecols=wanted, dtype="str", keep_default_na=False, encoding="utf-8"
    )
    hit = pd.Series(False, index=frame.index)
    if nik_column in frame.columns:
        hit |= frame[nik_column].str.strip() == nik
    if RAW_LINE in frame.columns:
        hit |= frame[RAW_LINE].str.contains(nik, regex=False)
    out = frame.loc[hit.to_numpy(dtype=bool), ["line", "column", "rule"]]
    out = out.astype({"line": "int64"}).sort_values(["line", "rule"], kind="stable")
    return out.reset_index(drop=True)
