"""What parsing an extract returns: :class:`ParsedExtract` (the typed rows, where values
were delivered, and the row rules broken) and :class:`RowCheck` (one rule, the mask of the
rows that break it); the accepted frame's dtypes (:func:`final_dtype`) and the repaired
values of BPJS rows kept with a value nulled or blanked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from connectors.extract_file import RawExtract
from domain.extracts import LINE, Column, ExtractSpec
from expectations import predicates as p

Severity = Literal["reject", "warning"]

#: the derived Dukcapil domicile code, ``NO_PROP.NO_KAB.NO_KEC.NO_KEL`` (``32.75.01.1001``)
KODE_KELURAHAN = "KODE_KELURAHAN"
KELURAHAN_PARTS = ("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL")

#: dtypes of the accepted frame that are not the type's default (docs/DESIGN.md)
_INT_DTYPES: dict[str, str] = {
    "JENIS_KLMIN": "int8",
    "STAT_KWN": "int8",
    "JENIS_PKRJN": "int16",
    "NO_PROP": "int16",
    "NO_KAB": "int16",
    "NO_KEC": "int16",
    "NO_KEL": "int16",
    "NO_RT": "Int16",
    "NO_RW": "Int16",
    "DESIL": "int8",
    "STATUS_PEKERJAAN": "Int8",
    "STATUS_KEBERADAAN": "int8",
    # BPJS: a broken amount is nulled and the row kept (``ExtractSpec.essential``)
    "UPAH_DILAPORKAN": "Int64",
    "IURAN_BULANAN": "Int64",
}


@dataclass(frozen=True, eq=False)
class RowCheck:
    """One row rule applied to every parsed row: ``mask`` is True where the row breaks it.

    ``column`` is a contract column (or the derived ``KODE_KELURAHAN``; empty for rules
    about the whole line). ``message`` says what the rule requires, in words a provider
    can act on; it never contains a value.
    """

    column: str
    rule: str
    severity: Severity
    message: str
    mask: np.ndarray = field(repr=False)
    #: a warning whose rows are kept with the value nulled (text: control characters
    #: blanked) and listed in the rejects file (BPJS, ``ExtractSpec.essential``)
    repaired: bool = False

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    @property
    def key(self) -> tuple[str, str]:
        return (self.column, self.rule)


@dataclass(frozen=True, eq=False)
class ParsedExtract:
    """The typed rows of one extract and the row rules they break.

    ``typed`` has one row per row of ``raw.frame`` (same order): ``_line``, every contract
    column typed (working dtypes: nullable ``Int64``, ``datetime64[ns]``, ``str``; codes
    and flags upper-cased, flags still ``Y``/``N``) and,
    for Dukcapil, ``KODE_KELURAHAN`` (categorical). ``delivered`` tells, per contract
    column, where a non-blank value was delivered (a value that did not parse is null in
    ``typed`` but delivered). Rows with the wrong number of fields are not here: they are
    ``raw.bad_rows``.
    """

    spec: ExtractSpec
    period: str
    raw: RawExtract = field(repr=False)
    typed: pd.DataFrame = field(repr=False)
    delivered: dict[str, np.ndarray] = field(repr=False)
    checks: tuple[RowCheck, ...]
    #: BPJS (``ExtractSpec.essential``): a hash of each row's stripped values, which
    #: tells identical copies of a row from differing rows with the same key
    fingerprints: np.ndarray | None = field(default=None, repr=False)

    @property
    def rejects(self) -> tuple[RowCheck, ...]:
        return tuple(c for c in self.checks if c.severity == "reject")

    @property
    def warnings(self) -> tuple[RowCheck, ...]:
        return tuple(c for c in self.checks if c.severity == "warning")

    @property
    def repairs(self) -> tuple[RowCheck, ...]:
        """The warnings whose values are nulled (or blanked) in the accepted rows."""
        return tuple(c for c in self.checks if c.repaired)

    def rejected_mask(self) -> np.ndarray:
        """True for every parsed row that breaks at least one rejecting rule."""
        out = np.zeros(len(self.typed), dtype=bool)
        for check in self.rejects:
            out |= check.mask
        return out

    def repaired_mask(self) -> np.ndarray:
        """True for every accepted row with a value nulled or blanked."""
        out = np.zeros(len(self.typed), dtype=bool)
        for check in self.repairs:
            out |= check.mask
        return out & ~self.rejected_mask()

    def accepted_frame(self) -> pd.DataFrame:
        """The rows that break no rejecting rule, with the dtypes of docs/DESIGN.md; the
        values of repaired checks nulled (text with control characters: blanked)."""
        keep = ~self.rejected_mask()
        frame = self.typed if keep.all() else self.typed.loc[keep]
        repairs: dict[str, list[RowCheck]] = {}
        for check in self.repairs:
            if check.mask.any():
                repairs.setdefault(check.column, []).append(check)
        out: dict[str, pd.Series] = {LINE: frame[LINE].astype("int64")}
        for column in self.spec.columns:
            values = frame[column.name]
            if column.name in repairs:
                values = _repaired(values, repairs[column.name], keep)
            if column.type == "flag":  # Y/N -> bool (accepted rows hold only Y or N)
                # an optional flag keeps its empty values as null (``boolean``)
                values = values.eq("Y") if column.required else values.eq("Y").where(values.notna())
            out[column.name] = values.astype(final_dtype(column))
        if KODE_KELURAHAN in frame:
            out[KODE_KELURAHAN] = frame[KODE_KELURAHAN].astype("str")
        return pd.DataFrame(out, copy=False).reset_index(drop=True)


def _repaired(values: pd.Series, checks: list[RowCheck], keep: np.ndarray) -> pd.Series:
    """``values`` (the accepted rows) with the rows of ``checks`` nulled, or, for
    ``CONTROL_CHARACTER`` alone, with the control characters blanked."""
    blank = np.zeros(len(keep), dtype=bool)
    null = np.zeros(len(keep), dtype=bool)
    for check in checks:
        if check.rule == p.CONTROL_CHARACTER:
            blank |= check.mask
        else:
            null |= check.mask
    blank, null = blank[keep], null[keep]
    if blank.any():
        cleaned = p.blank_control_characters(values[blank])
        values = values.copy()
        values[blank] = cleaned
    if null.any():
        values = values.where(~null)
    return values


def final_dtype(column: Column) -> str:
    """The dtype of a column in the accepted (typed) frame handed to the domain."""
    if column.type == "int":
        return _INT_DTYPES.get(column.name, "int64" if column.required else "Int64")
    if column.type == "date":
        return "datetime64[ns]"
    if column.type == "flag":
        return "bool" if column.required else "boolean"
    return "str"
