"""Small-cell suppression of a published table of counts, with complementary suppression.

A table is a set of *cells* (counts) and *equations* between them: every published total
is the sum of the cells it totals (``total = part_1 + ... + part_k``: a kelurahan's
eligible people are its covered + ENROLL + WAITLIST people, and also its women + men +
unknown sex; a kecamatan's cell is the sum of its kelurahan cells...).

:func:`suppress` withholds:

1. **primary**: every cell whose count is in ``(0, threshold)`` (a zero is published);
2. **complementary**: then, until nothing changes, in every equation with exactly one
   withheld cell, one more (the smallest non-zero published cell of the equation, a part
   before the total; a zero cell only when there is no other), so that no single
   subtraction recovers a withheld cell;
3. **linear**: a withheld cell can still be recovered by combining several equations (a
   cell that joins two otherwise separate groups of withheld cells, say). The equations
   restricted to the withheld cells are reduced (Gauss-Jordan, :func:`recoverable_cells`):
   a withheld cell whose unit vector lies in the row space of that system (some
   combination of the published totals equals it) is recoverable; one of its equations
   gets another complement and steps 2-3 run again.

What this does not protect against: bounds. A reader knows that counts are not negative
and that a withheld count is never zero unless it is a complement, so a withheld cell's
*range* can sometimes be narrowed (never its value, by the equations). The tests
(``tests/unit/domain/test_suppression.py``) try to recover every withheld cell from the
published margins, by repeated subtraction and by solving the equations.

Pure numpy; the tables are small (tens of rows by tens of columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.errors import InvalidInput

#: singular values below this are zero (the coefficients are 0 and +-1)
_TOLERANCE = 1e-9
#: rounds of steps 2-3 before giving up (each round withholds at least one more cell)
_MAX_ROUNDS = 10_000


@dataclass(frozen=True)
class Equation:
    """``cell[total] = sum(cell[parts])`` (flat cell indices)."""

    total: int
    parts: tuple[int, ...]

    @property
    def cells(self) -> tuple[int, ...]:
        return (self.total, *self.parts)


def suppress(
    values: np.ndarray,
    equations: Sequence[Equation],
    threshold: int,
    *,
    publishable: np.ndarray | None = None,
) -> np.ndarray:
    """The cells to withhold (a boolean array like ``values``, flat).

    ``values``: non-negative integer counts, flat; ``equations``: every published total;
    ``publishable``: cells that are published at all (default all; a cell that is not
    published is unknown to a reader but never counted as withheld).
    """
    values = np.asarray(values, dtype=np.int64).ravel()
    if (values < 0).any():
        raise InvalidInput("counts cannot be negative")
    if threshold < 1:
        raise InvalidInput(f"the suppression threshold must be at least 1, not {threshold}")
    published = (
        np.ones(len(values), dtype=bool) if publishable is None else np.asarray(publishable, bool)
    )
    withheld = published & (values > 0) & (values < threshold)
    unknown = withheld | ~published
    eqs = [e for e in equations if any(published[c] for c in e.cells)]
    for _ in range(_MAX_ROUNDS):
        _single_unknowns(values, eqs, unknown)
        recoverable = recoverable_cells(eqs, unknown) & published
        if not recoverable.any():
            return unknown & published
        for cell in np.flatnonzero(recoverable):
            _complement_for(int(cell), values, eqs, unknown)
    raise RuntimeError("small-cell suppression did not settle")  # pragma: no cover


def _complement_candidates(eq: Equation, values: np.ndarray, unknown: np.ndarray) -> list[int]:
    """Published cells of ``eq`` to withhold next, best first: non-zero before zero,
    parts before the total, smaller before larger, then by position."""
    cells = [c for c in eq.cells if not unknown[c]]
    return sorted(cells, key=lambda c: (values[c] == 0, c == eq.total, values[c], c))


def _single_unknowns(values: np.ndarray, eqs: Sequence[Equation], unknown: np.ndarray) -> None:
    """Step 2: until no equation has exactly one unknown cell (in place)."""
    changed = True
    while changed:
        changed = False
        for eq in eqs:
            if sum(bool(unknown[c]) for c in eq.cells) == 1:
                candidates = _complement_candidates(eq, values, unknown)
                if candidates:  # an equation of one cell (no parts) has none
                    unknown[candidates[0]] = True
                    changed = True


def _complement_for(
    cell: int, values: np.ndarray, eqs: Sequence[Equation], unknown: np.ndarray
) -> None:
    """Step 3's fix: one more withheld cell in the equation of ``cell`` with the fewest
    unknown cells that still has a published cell."""
    mine = [e for e in eqs if cell in e.cells]
    mine.sort(key=lambda e: sum(bool(unknown[c]) for c in e.cells))
    for eq in mine:
        candidates = _complement_candidates(eq, values, unknown)
        if candidates:
            unknown[candidates[0]] = True
            return


def recoverable_cells(equations: Sequence[Equation], unknown: np.ndarray) -> np.ndarray:
    """The unknown cells whose value the equations determine (boolean, like ``unknown``),
    whatever the published values are: cell ``s`` is determined exactly when its unit
    vector is a combination of the equations restricted to the unknown cells, i.e. when
    the reduced row echelon form of that (sparse) system has a row with ``s`` alone.

    Gauss-Jordan elimination on sparse rows (dicts), the shortest row first and in it
    the column in the fewest rows (little fill-in): a thousand unknown cells take a
    fraction of a second, where a dense SVD takes seconds."""
    unknown = np.asarray(unknown, dtype=bool)
    rows: list[dict[int, float]] = []
    for e in equations:
        row: dict[int, float] = {}
        for i, c in enumerate(e.cells):
            if unknown[c]:
                row[c] = row.get(c, 0.0) + (1.0 if i == 0 else -1.0)
        row = {c: v for c, v in row.items() if v != 0.0}
        if row:
            rows.append(row)
    in_rows: dict[int, set[int]] = {}
    for i, row in enumerate(rows):
        for c in row:
            in_rows.setdefault(c, set()).add(i)
    pending = set(range(len(rows)))
    pivots: dict[int, int] = {}  # column -> its pivot row
    while pending:
        i = min(pending, key=lambda k: (len(rows[k]), k))
        pending.discard(i)
        row = rows[i]
        if not row:
            continue
        largest = max(abs(v) for v in row.values())
        column = min(
            (c for c, v in row.items() if abs(v) >= 0.1 * largest),
            key=lambda c: (len(in_rows[c]), c),
        )
        scale = row[column]
        for c in row:
            row[c] /= scale
        for j in list(in_rows[column]):
            if j == i:
                continue
            other = rows[j]
            factor = other[column]
            for c, v in row.items():
                value = other.get(c, 0.0) - factor * v
                if abs(value) < _TOLERANCE:
                    if c in other:
                        del other[c]
                        in_rows[c].discard(j)
                else:
                    if c not in other:
                        in_rows[c].add(j)
                    other[c] = value
        pivots[column] = i
    out = np.zeros(len(unknown), dtype=bool)
    for column, i in pivots.items():
        out[column] = len(rows[i]) == 1
    return out
