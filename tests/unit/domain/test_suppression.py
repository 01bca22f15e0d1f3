"""Small-cell suppression of the open-data table: no count in (0, threshold) is
published, and no withheld count can be recovered from the published margins, neither
by repeated subtraction (an equation with one unknown cell gives it) nor by solving all
the published equations together."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.open_data import (
    COLUMNS,
    COUNT_COLUMNS,
    KECAMATAN,
    KELURAHAN,
    KOTA,
    TANPA_DOMISILI,
    WITHHELD_COLUMN,
    data_dictionary,
    open_data_table,
)
from domain.suppression import Equation, recoverable_cells, suppress
from tests.unit.domain.test_statistics import make_entries


def published_equations(table) -> list[tuple[int, list[int]]]:
    """Every published total, rebuilt here from the published file's layout alone:
    in a row, layak = tertanggung + daftar_baru + daftar_tunggu and each breakdown's
    columns sum to their measure; down a column, kecamatan = its kelurahan, the city =
    its kecamatan + the TANPA_DOMISILI row."""
    frame = table.frame
    cols = list(COUNT_COLUMNS)
    n = len(cols)

    def cell(r: int, c: str) -> int:
        return r * n + cols.index(c)

    eqs: list[tuple[int, list[int]]] = []
    breakdowns = {}
    for c in cols[4:]:
        measure, _, rest = c.partition("_")
        family = next(p for p in ("laki_laki", "perempuan", "jenis_kelamin", "umur_", "pekerjaan_",
                                  "disabilitas_", "kategori_") if rest.startswith(p))  # fmt: skip
        family = "jk" if family in ("laki_laki", "perempuan", "jenis_kelamin") else family
        if family == "disabilitas_" and not table.disability_available:
            continue
        breakdowns.setdefault((measure, family), []).append(c)
    for r in range(len(frame)):
        eqs.append((cell(r, "layak"), [cell(r, c) for c in ("tertanggung", "daftar_baru", "daftar_tunggu")]))
        for (measure, _), members in breakdowns.items():
            eqs.append((cell(r, measure), [cell(r, c) for c in members]))
    levels = frame["tingkat"].tolist()
    published = cols[:4] + [c for members in breakdowns.values() for c in members]
    for r, level in enumerate(levels):
        if level == KECAMATAN:
            kids = [k for k in range(len(frame)) if levels[k] == KELURAHAN
                    and frame.loc[k, "kode_kecamatan"] == frame.loc[r, "kode_wilayah"]]  # fmt: skip
        elif level == KOTA:
            kids = [k for k in range(len(frame)) if levels[k] in (KECAMATAN, TANPA_DOMISILI)]
        else:
            continue
        for c in published:
            eqs.append((cell(r, c), [cell(k, c) for k in kids]))
    return eqs


def attack_by_subtraction(values: np.ndarray, known: np.ndarray, eqs) -> dict[int, int]:
    """Repeatedly solve any equation with exactly one unknown cell."""
    known = known.copy()
    value = np.where(known, values, 0)
    got: dict[int, int] = {}
    progress = True
    while progress:
        progress = False
        for total, parts in eqs:
            missing = [c for c in [total, *parts] if not known[c]]
            if len(missing) != 1:
                continue
            (c,) = missing
            rest = sum(int(value[p]) for p in parts if p != c)
            value[c] = rest if c == total else int(value[total]) - rest
            known[c], got[c] = True, int(value[c])
            progress = True
    return got


def solvable_by_equations(eqs, unknown: np.ndarray) -> set[int]:
    """Unknown cells whose unit vector lies in the row space of the equations restricted
    to the unknown cells (then a combination of published totals gives the cell)."""
    cells = np.flatnonzero(unknown)
    if not len(cells):
        return set()
    pos = {c: i for i, c in enumerate(cells)}
    rows = []
    for total, parts in eqs:
        row = np.zeros(len(cells))
        for c, k in [(total, 1.0), *((p, -1.0) for p in parts)]:
            if c in pos:
                row[pos[c]] += k
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    # an orthonormal basis of the row space (right singular vectors of non-zero
    # singular values); e_s is in the span iff its projection on it has norm 1
    _, singular, vt = np.linalg.svd(np.array(rows), full_matrices=False)
    basis = vt[singular > 1e-9 * max(1.0, singular.max())]
    norms = (basis**2).sum(axis=0)
    return {int(cells[i]) for i in np.flatnonzero(norms > 1 - 1e-9)}


@pytest.mark.parametrize(
    "n, seed, threshold, disability",
    [(400, 0, 5, True), (6_000, 2, 5, False), (12_000, 3, 10, True), (20_000, 4, 3, True)],
)
def test_no_withheld_cell_can_be_recovered(n, seed, threshold, disability):
    entries = make_entries(n, seed, disability=disability)
    table = open_data_table(entries, "2026-10", 2, threshold)
    frame, counts, withheld = table.frame, table.counts, table.withheld.to_numpy()
    assert list(frame.columns) == list(COLUMNS)
    values = counts.to_numpy().ravel()
    published = frame[list(COUNT_COLUMNS)]
    # published values are the true counts; withheld ones are empty
    shown = published.notna().to_numpy()
    assert (published.to_numpy()[shown] == counts.to_numpy()[shown]).all()
    assert not (shown & withheld).any()
    # no published count in (0, threshold): every small count is withheld (or unavailable)
    small = (counts.to_numpy() > 0) & (counts.to_numpy() < threshold)
    assert not (small & shown).any()
    if disability:
        assert (small <= withheld).all()
    # the attacker knows the published cells and the published totals
    eqs = published_equations(table)
    unknown = ~shown.ravel()
    got = attack_by_subtraction(values, ~unknown, eqs)
    recovered = {c for c in got if withheld.ravel()[c]}
    assert not recovered, f"{len(recovered)} withheld cells recovered by subtraction"
    assert not (solvable_by_equations(eqs, unknown) & set(np.flatnonzero(withheld.ravel())))
    # kolom_ditahan names exactly the withheld columns of each row
    names = np.array(COUNT_COLUMNS)
    assert frame[WITHHELD_COLUMN].tolist() == [";".join(names[w]) for w in withheld]
    # the rate is published only with both of its counts
    rate = frame["cakupan_persen"] != ""
    assert not (rate & (frame["layak"].isna() | frame["tertanggung"].isna())).any()
    if withheld.any():
        assert frame[WITHHELD_COLUMN].str.len().gt(0).any()


def test_rows_levels_and_totals():
    entries = make_entries(5_000, 7)
    table = open_data_table(entries, "2026-10", 1, 5)
    frame, counts = table.frame, table.counts
    levels = frame["tingkat"].value_counts().to_dict()
    assert levels == {KELURAHAN: 56, KECAMATAN: 12, KOTA: 1, TANPA_DOMISILI: 1}
    city = counts[frame["tingkat"] == KOTA].iloc[0]
    in_scope = entries["decision"] != "TERMINATE"
    assert city["layak"] == in_scope.sum()
    assert city["tertanggung"] == entries["decision"].isin(["KEEP", "REVERIFY"]).sum()
    assert city["layak_perempuan"] == (in_scope & (entries["jenis_kelamin"] == 2)).sum()
    assert frame["periode"].eq("2026-10").all() and frame["versi"].eq(1).all()
    kamus = data_dictionary(table)
    assert kamus["kolom"].tolist() == list(COLUMNS)
    assert kamus.loc[kamus["kolom"] == "layak", "penahanan"].str.contains("1 sampai 4").all()


def test_without_disability_the_columns_are_empty_not_withheld():
    entries = make_entries(2_000, 8, disability=False)
    table = open_data_table(entries, "2026-10", 1, 5)
    disability = [c for c in COUNT_COLUMNS if "_disabilitas_" in c]
    assert table.frame[disability].isna().all().all()
    assert not table.frame[WITHHELD_COLUMN].str.contains("disabilitas").any()
    assert not table.disability_available
    kamus = data_dictionary(table)
    assert kamus.loc[kamus["kolom"].isin(disability), "penahanan"].str.contains("tidak tersedia").all()


def test_a_bridge_between_two_safe_blocks_is_protected():
    """A 4 x 4 table with row, column and grand totals: two 2 x 2 blocks of small cells
    are safe by themselves; a small cell joining them has two other unknowns in its row
    and column (subtraction alone does not find it) but is recoverable by combining
    equations: suppression withholds more until it is not."""
    values = np.array(
        [[1, 2, 9, 9], [3, 1, 2, 9], [9, 9, 1, 3], [9, 9, 2, 1]], dtype=np.int64
    )
    grid = values.copy()
    n = 4
    cells = values.ravel().tolist()
    # cells 0..15, then row totals 16..19, column totals 20..23, grand total 24
    rows = grid.sum(axis=1).tolist()
    cols = grid.sum(axis=0).tolist()
    cells += rows + cols + [int(grid.sum())]
    eqs = [Equation(16 + r, tuple(r * n + c for c in range(n))) for r in range(n)]
    eqs += [Equation(20 + c, tuple(r * n + c for r in range(n))) for c in range(n)]
    eqs += [Equation(24, tuple(range(16, 20))), Equation(24, tuple(range(20, 24)))]
    primary = (np.array(cells) > 0) & (np.array(cells) < 4)
    assert recoverable_cells(eqs, primary)[1 * n + 2]  # the bridge (row 1, column 2)
    withheld = suppress(np.array(cells), eqs, 4)
    assert (primary <= withheld).all()
    assert not recoverable_cells(eqs, withheld).any()
    known = ~withheld
    as_pairs = [(e.total, list(e.parts)) for e in eqs]
    assert not attack_by_subtraction(np.array(cells), known, as_pairs)
    assert not solvable_by_equations(as_pairs, withheld)


def test_threshold_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        open_data_table(make_entries(10, 1), "2026-10", 1, 0)
    with pytest.raises(ValueError, match="negative"):
        suppress(np.array([-1, 2]), [], 5)
    # threshold 1 withholds nothing
    assert not suppress(np.array([1, 2, 3]), [Equation(2, (0, 1))], 1).any()
    assert isinstance(pd.DataFrame(), pd.DataFrame)


@pytest.mark.parametrize("seed", [0, 1])
def test_recoverable_cells_agree_with_a_dense_solver(seed):
    """The sparse elimination finds exactly the cells a dense QR of the same equations
    finds, on unknown patterns with many recoverable cells (complements removed)."""
    rng = np.random.default_rng(seed)
    table = open_data_table(make_entries(5_000, 10 + seed), "2026-10", 1, 5)
    withheld = table.withheld.to_numpy().ravel()
    pattern = withheld & (rng.random(len(withheld)) < 0.7)
    eqs = [(e.total, list(e.parts)) for e in table.equations]
    found = set(np.flatnonzero(recoverable_cells(table.equations, pattern)))
    assert found == solvable_by_equations(eqs, pattern)
    assert found  # the pattern was meant to leak
