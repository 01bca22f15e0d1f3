"""The open-data table (``statistik_YYYYMM_vN.csv``) and its data dictionary
(``statistik_YYYYMM_vN_kamus.csv``): a release's coverage aggregates by kelurahan, with
kecamatan and city totals, no personal data, small cells withheld.

One row per kelurahan of Kota Bekasi (all 56, a kelurahan with nobody in scope too), a
row for people in scope without a Kota Bekasi domicile in Dukcapil (participants whose
NIK did not match: ``TANPA_DOMISILI``), one row per kecamatan and one for the city. The
counts (:data:`COUNT_GROUPS`) are those of ``domain.statistics``: eligible (``layak``),
covered (``tertanggung``), ``ENROLL`` (``daftar_baru``), ``WAITLIST``
(``daftar_tunggu``), and eligible and covered people by sex, age band, occupation group
and disability, covered people by BPJS category.

Every published total is an equation between cells (:class:`domain.suppression.Equation`):
in a row, ``layak = tertanggung + daftar_baru + daftar_tunggu`` and each breakdown's
columns sum to its measure; down a column, a kecamatan is the sum of its kelurahan and
the city the sum of its kecamatan and the ``TANPA_DOMISILI`` row. ``domain.suppression``
withholds every count in ``(0, threshold)`` and the complements that keep them
unrecoverable; a withheld count is empty and its column is named in ``kolom_ditahan``.
``cakupan_persen`` is withheld with either of its two counts. Without disability data
(the DTSEN extract lacked the column) the disability columns are empty and
``kolom_ditahan`` does not name them (they are not available, not withheld).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from domain.extracts import KATEGORI
from domain.reference import city_kelurahan
from domain.statistics import (
    AGE_BANDS,
    DISABILITY_CODES,
    OCCUPATION_GROUPS,
    OTHER_AGE,
    SEX_CODES,
    UNKNOWN,
    coded,
    counts_by,
    disability_available,
    measure_codes,
)
from domain.suppression import Equation, suppress

#: ``tingkat`` of a row
KELURAHAN, KECAMATAN, KOTA, TANPA_DOMISILI = "KELURAHAN", "KECAMATAN", "KOTA", "TANPA_DOMISILI"

ID_COLUMNS: tuple[str, ...] = (
    "periode", "versi", "tingkat", "kode_wilayah", "nama_wilayah", "kode_kecamatan",
    "nama_kecamatan",
)  # fmt: skip
DECISION_COLUMNS: tuple[str, ...] = ("layak", "tertanggung", "daftar_baru", "daftar_tunggu")
RATE_COLUMN = "cakupan_persen"
WITHHELD_COLUMN = "kolom_ditahan"


@dataclass(frozen=True)
class CountGroup:
    """Columns ``<measure>_<prefix><slug>`` for each category of a breakdown: per
    measure, they sum to the measure's column of the row."""

    breakdown: str  # a domain.statistics dimension
    prefix: str
    categories: tuple[tuple[str, str], ...]  # (code, column slug)
    measures: tuple[str, ...]  # layak and/or tertanggung
    meaning_id: str
    meaning_en: str

    def column(self, measure: str, slug: str) -> str:
        return f"{measure}_{self.prefix}{slug}"

    @property
    def columns(self) -> list[str]:
        return [self.column(m, s) for m in self.measures for _, s in self.categories]


def _slug(text: str) -> str:
    return text.lower().replace("-", "_").replace("+", "_")


COUNT_GROUPS: tuple[CountGroup, ...] = (
    CountGroup(
        "jenis_kelamin", "",
        (("L", "laki_laki"), ("P", "perempuan"), (UNKNOWN, "jenis_kelamin_tidak_diketahui")),
        ("layak", "tertanggung"), "menurut jenis kelamin (Dukcapil JENIS_KLMIN)",
        "by sex (Dukcapil JENIS_KLMIN)",
    ),
    CountGroup(
        "kelompok_umur", "umur_",
        tuple((f"{lo}-{hi}", f"{lo}_{hi}") for lo, hi in AGE_BANDS) + ((OTHER_AGE, "lainnya"),),
        ("layak", "tertanggung"),
        "menurut kelompok umur (tahun penuh pada akhir periode; lainnya: di luar 15-65 atau tidak diketahui)",
        "by age band (whole years at the end of the period; lainnya: outside 15-65 or unknown)",
    ),
    CountGroup(
        "kelompok_pekerjaan", "pekerjaan_",
        tuple((g, _slug(g)) for g in OCCUPATION_GROUPS) + ((UNKNOWN, "tidak_diketahui"),),
        ("layak", "tertanggung"),
        "menurut kelompok pekerjaan Dukcapil (JENIS_PKRJN, berkas referensi pekerjaan_dukcapil.csv)",
        "by Dukcapil occupation group (JENIS_PKRJN, reference file pekerjaan_dukcapil.csv)",
    ),
    CountGroup(
        "disabilitas", "disabilitas_",
        (("YA", "ya"), ("TIDAK", "tidak"), (UNKNOWN, "tidak_diketahui")),
        ("layak", "tertanggung"),
        "menurut disabilitas (DTSEN DISABILITAS, kolom opsional: kosong bila ekstrak tidak memuatnya)",
        "by disability (DTSEN DISABILITAS, an optional column: empty when the extract lacks it)",
    ),
    CountGroup(
        "kategori", "kategori_",
        tuple((k, _slug(k)) for k in KATEGORI) + ((UNKNOWN, "tidak_diketahui"),),
        ("tertanggung",), "menurut kategori peserta BPJS (KATEGORI)",
        "by BPJS participant category (KATEGORI)",
    ),
)  # fmt: skip
if (
    tuple(c for c, _ in COUNT_GROUPS[3].categories[:2]) != DISABILITY_CODES
    or tuple(c for c, _ in COUNT_GROUPS[0].categories[:2]) != SEX_CODES
):  # pragma: no cover - guards the tables above
    raise RuntimeError("open-data categories out of step with domain.statistics")

COUNT_COLUMNS: tuple[str, ...] = DECISION_COLUMNS + tuple(
    c for g in COUNT_GROUPS for c in g.columns
)
COLUMNS: tuple[str, ...] = (*ID_COLUMNS, *DECISION_COLUMNS, RATE_COLUMN,
                            *(c for g in COUNT_GROUPS for c in g.columns), WITHHELD_COLUMN)  # fmt: skip


@dataclass(frozen=True)
class OpenDataTable:
    """The published table (:data:`COLUMNS`, counts ``Int64`` with withheld cells null,
    ``cakupan_persen`` as text) and what was withheld."""

    frame: pd.DataFrame
    #: the unsuppressed counts (same rows, :data:`COUNT_COLUMNS`): never published
    counts: pd.DataFrame
    #: True where a count is withheld (same shape as ``counts``)
    withheld: pd.DataFrame
    #: every published total as an equation between cells of ``counts`` (flat indices,
    #: row-major)
    equations: tuple[Equation, ...]
    threshold: int
    disability_available: bool

    @property
    def withheld_cells(self) -> int:
        return int(self.withheld.to_numpy().sum())

    @property
    def count_cells(self) -> int:
        """Count cells that carry a figure (published or withheld): all but the
        disability columns when disability is not available."""
        if self.disability_available:
            return int(self.counts.size)
        dis = next(g for g in COUNT_GROUPS if g.breakdown == "disabilitas")
        return int(self.counts.size - len(self.counts) * len(dis.columns))


def _base_counts(entries: pd.DataFrame) -> pd.DataFrame:
    """Counts per kelurahan code (the city's, then :data:`UNKNOWN`) for every count
    column (vectorised: one ``bincount`` per breakdown and measure)."""
    kel, rows = coded(entries, "kode_kelurahan")
    n = len(rows)
    measure = measure_codes(entries)
    decided = counts_by(kel, n, measure)
    columns: dict[str, np.ndarray] = {"layak": decided.sum(axis=1)}
    for j, name in enumerate(DECISION_COLUMNS[1:]):
        columns[name] = decided[:, j]
    kel64 = kel.astype(np.int64)
    for group in COUNT_GROUPS:
        codes, categories = coded(entries, group.breakdown)
        position = [categories.index(code) for code, _ in group.categories]
        width = len(categories)
        for m in group.measures:
            mask = measure >= 0 if m == "layak" else measure == 0
            table = np.bincount(kel64[mask] * width + codes[mask], minlength=n * width).reshape(
                n, width
            )
            for (_, slug), p in zip(group.categories, position, strict=True):
                columns[group.column(m, slug)] = table[:, p]
    out = pd.DataFrame(columns, index=pd.Index(rows, name="kode_kelurahan")).astype("int64")
    return out[list(COUNT_COLUMNS)]


def open_data_table(
    entries: pd.DataFrame, period: str, version: int, threshold: int
) -> OpenDataTable:
    """The open-data table of one release (see the module docstring)."""
    if threshold < 1:
        raise InvalidInput(f"the suppression threshold must be at least 1, not {threshold}")
    base = _base_counts(entries)
    ref = city_kelurahan()
    kec_names = ref.drop_duplicates("kode_kecamatan").set_index("kode_kecamatan")["nama_kecamatan"]

    # the rows: each kecamatan's kelurahan then the kecamatan, the rest, the city
    ids: list[dict] = []
    counts: list[np.ndarray] = []
    children: dict[int, list[int]] = {}
    kecamatan_rows: list[int] = []
    for kec, members in ref.groupby("kode_kecamatan", sort=True):
        kids = []
        for kel in members.sort_values("kode_kelurahan").itertuples():
            kids.append(len(ids))
            ids.append({"tingkat": KELURAHAN, "kode_wilayah": kel.kode_kelurahan,
                        "nama_wilayah": kel.nama_kelurahan, "kode_kecamatan": kec,
                        "nama_kecamatan": kec_names[kec]})  # fmt: skip
            counts.append(base.loc[kel.kode_kelurahan].to_numpy())
        children[len(ids)] = kids
        kecamatan_rows.append(len(ids))
        ids.append({"tingkat": KECAMATAN, "kode_wilayah": kec, "nama_wilayah": kec_names[kec],
                    "kode_kecamatan": kec, "nama_kecamatan": kec_names[kec]})  # fmt: skip
        counts.append(np.sum([counts[i] for i in kids], axis=0))
    unknown_row = len(ids)
    ids.append({"tingkat": TANPA_DOMISILI, "kode_wilayah": "", "nama_wilayah": "",
                "kode_kecamatan": "", "nama_kecamatan": ""})  # fmt: skip
    counts.append(base.loc[UNKNOWN].to_numpy())
    city_row = len(ids)
    children[city_row] = [*kecamatan_rows, unknown_row]
    ids.append({"tingkat": KOTA, "kode_wilayah": "32.75", "nama_wilayah": "KOTA BEKASI",
                "kode_kecamatan": "", "nama_kecamatan": ""})  # fmt: skip
    counts.append(np.sum([counts[i] for i in children[city_row]], axis=0))
    matrix = np.vstack(counts).astype(np.int64)
    n_rows, n_cols = matrix.shape

    disability = disability_available(entries)
    col = {c: j for j, c in enumerate(COUNT_COLUMNS)}
    groups = [g for g in COUNT_GROUPS if disability or g.breakdown != "disabilitas"]
    equations = _equations(n_rows, n_cols, col, groups, children)
    publishable = np.ones((n_rows, n_cols), dtype=bool)
    if not disability:
        dis = next(g for g in COUNT_GROUPS if g.breakdown == "disabilitas")
        publishable[:, [col[c] for c in dis.columns]] = False
    withheld = suppress(
        matrix.ravel(), equations, threshold, publishable=publishable.ravel()
    ).reshape(n_rows, n_cols)

    counts_frame = pd.DataFrame(matrix, columns=list(COUNT_COLUMNS))
    published = counts_frame.astype("Int64").mask(withheld | ~publishable)
    frame = pd.DataFrame(ids)
    frame.insert(0, "periode", period)
    frame.insert(1, "versi", int(version))
    eligible, covered = counts_frame["layak"], counts_frame["tertanggung"]
    rate_hidden = withheld[:, col["layak"]] | withheld[:, col["tertanggung"]] | (eligible == 0)
    rate = (100 * covered / eligible.where(eligible > 0)).map(
        lambda x: "" if pd.isna(x) else f"{x:.1f}"
    )
    frame = pd.concat([frame, published], axis=1)
    frame[RATE_COLUMN] = rate.where(~rate_hidden, "").astype("str")
    names = np.array(COUNT_COLUMNS, dtype=object)
    frame[WITHHELD_COLUMN] = [";".join(names[row]) for row in withheld]
    frame = frame[list(COLUMNS)]
    frame["versi"] = frame["versi"].astype("int64")
    return OpenDataTable(
        frame=frame,
        counts=counts_frame,
        withheld=pd.DataFrame(withheld, columns=list(COUNT_COLUMNS)),
        equations=tuple(equations),
        threshold=int(threshold),
        disability_available=bool(disability),
    )


def _equations(
    n_rows: int,
    n_cols: int,
    col: dict[str, int],
    groups: Sequence[CountGroup],
    children: dict[int, list[int]],
) -> list[Equation]:
    def cell(r: int, c: int) -> int:
        return r * n_cols + c

    out: list[Equation] = []
    for r in range(n_rows):
        out.append(
            Equation(cell(r, col["layak"]), tuple(cell(r, col[c]) for c in DECISION_COLUMNS[1:]))
        )
        for g in groups:
            for m in g.measures:
                parts = tuple(cell(r, col[g.column(m, s)]) for _, s in g.categories)
                out.append(Equation(cell(r, col[m]), parts))
    published_cols = [col[c] for c in DECISION_COLUMNS] + [
        col[c] for g in groups for c in g.columns
    ]
    for parent, kids in children.items():
        for c in published_cols:
            out.append(Equation(cell(parent, c), tuple(cell(k, c) for k in kids)))
    return out


def data_dictionary(table: OpenDataTable) -> pd.DataFrame:
    """``kolom``, ``arti`` (Bahasa Indonesia), ``meaning`` (English), ``satuan``,
    ``penahanan`` (the suppression rule), one row per column of the table."""
    t = table.threshold
    rule_id = (
        f"ditahan (kosong, dan disebut di kolom_ditahan) bila nilainya 1 sampai {t - 1}, "
        "atau sebagai penahanan pelengkap agar sel yang ditahan tidak dapat dihitung dari "
        "total baris, kolom, kecamatan atau kota; 0 selalu diterbitkan"
    )
    rows: list[tuple[str, str, str, str, str]] = [
        ("periode", "periode rekonsiliasi (bulan)", "reconciliation period (month)", "YYYY-MM", ""),
        (
            "versi",
            "versi rilis registri periode ini",
            "registry release version of the period",
            "angka",
            "",
        ),
        (
            "tingkat",
            "KELURAHAN, KECAMATAN, KOTA, atau TANPA_DOMISILI (orang dalam cakupan tanpa domisili Kota Bekasi di Dukcapil: NIK belum cocok)",
            "KELURAHAN, KECAMATAN, KOTA, or TANPA_DOMISILI (people in scope without a Kota Bekasi domicile in Dukcapil: NIK not matched)",
            "kode",
            "",
        ),
        (
            "kode_wilayah",
            "kode wilayah Kemendagri 2025 (kelurahan 32.75.CC.NNNN, kecamatan 32.75.CC, kota 32.75)",
            "Kemendagri 2025 region code (kelurahan 32.75.CC.NNNN, kecamatan 32.75.CC, city 32.75)",
            "kode",
            "",
        ),
        ("nama_wilayah", "nama wilayah", "region name", "teks", ""),
        ("kode_kecamatan", "kode kecamatan induk", "parent kecamatan code", "kode", ""),
        ("nama_kecamatan", "nama kecamatan induk", "parent kecamatan name", "teks", ""),
        (
            "layak",
            "penduduk layak: keputusan KEEP + REVERIFY + ENROLL + WAITLIST",
            "eligible residents: decisions KEEP + REVERIFY + ENROLL + WAITLIST",
            "orang",
            rule_id,
        ),
        (
            "tertanggung",
            "peserta yang dibayar kota periode ini: KEEP + REVERIFY",
            "participants the city pays this period: KEEP + REVERIFY",
            "orang",
            rule_id,
        ),
        (
            "daftar_baru",
            "didaftarkan periode ini (ENROLL)",
            "enrolled this period (ENROLL)",
            "orang",
            rule_id,
        ),
        ("daftar_tunggu", "daftar tunggu (WAITLIST)", "waitlist (WAITLIST)", "orang", rule_id),
        (
            RATE_COLUMN,
            "cakupan: 100 x tertanggung / layak, satu desimal",
            "coverage: 100 x tertanggung / layak, one decimal",
            "persen",
            "kosong bila layak atau tertanggung ditahan, atau layak = 0",
        ),
    ]
    measure_id = {"layak": "penduduk layak", "tertanggung": "peserta tertanggung"}
    measure_en = {"layak": "eligible residents", "tertanggung": "covered participants"}
    for g in COUNT_GROUPS:
        for m in g.measures:
            for code, slug in g.categories:
                label = code if code != UNKNOWN else "tidak diketahui"
                rule = rule_id
                if g.breakdown == "disabilitas" and not table.disability_available:
                    rule = "tidak tersedia untuk rilis ini (ekstrak DTSEN tanpa kolom DISABILITAS): kosong"
                rows.append(
                    (g.column(m, slug), f"{measure_id[m]} {g.meaning_id}: {label}",
                     f"{measure_en[m]} {g.meaning_en}: {label}", "orang", rule)
                )  # fmt: skip
    rows.append(
        (WITHHELD_COLUMN, "kolom hitungan yang ditahan di baris ini, dipisah ';'",
         "count columns withheld in this row, ';'-separated", "teks", "")
    )  # fmt: skip
    frame = pd.DataFrame(rows, columns=["kolom", "arti", "meaning", "satuan", "penahanan"])
    if list(frame["kolom"]) != list(COLUMNS):  # pragma: no cover - guards the table above
        raise RuntimeError("the data dictionary does not list the table's columns")
    return frame
