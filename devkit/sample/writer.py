"""Rendering the three extracts as contract files: gzip, UTF-8, ``|``, header row, and a
``.sha256`` beside each.

Rows are rendered in chunks straight into Arrow arrays (``pyarrow.compute``: token takes,
string joins, ``strftime``), written by Arrow's CSV writer into a gzip stream (level 1,
``mtime`` 0: the same seed gives byte-identical files). Memory stays at one chunk of text.

Messy but valid formatting, in small proportions and always seeded:

* per file, each period: one of the three files has CRLF line endings, another a UTF-8
  byte-order mark, the third its columns in a shuffled order; the BPJS list always carries
  an extra column (``KANTOR_CABANG``) that the contract does not know;
* per row: names in title case, padded text (leading/trailing spaces), codes in lower or
  mixed case (``hidup``, `` Aktif ``, ``apbd_kota``), padded BPJS NIKs. Dates, numbers and
  Dukcapil/DTSEN NIKs are never touched (they must stay valid).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from devkit.sample import names as nm
from devkit.sample.places import STREET_NAMES, STREET_PREFIXES, birthplace_table, kelurahan_table
from devkit.sample.population import STATUS_DASAR, Population
from domain.codes import Source
from domain.extracts import SPECS

CHUNK = 400_000
BOM = b"\xef\xbb\xbf"
EXTRA_COLUMN = "KANTOR_CABANG"
BRANCHES = ("BEKASI KOTA", "BEKASI KALIMALANG", "BEKASI CIKARANG")
SOURCES = (Source.DUKCAPIL, Source.DTSEN, Source.BPJSTK)


@dataclass(frozen=True)
class FileStyle:
    crlf: bool
    bom: bool
    column_order: tuple[str, ...]
    extra_column: str | None


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    checksum_path: Path
    sha256: str
    rows: int
    size: int


def style_for(
    source: Source, k: int, rng: np.random.Generator, *, without: tuple[str, ...] = ()
) -> FileStyle:
    """Period ``k``'s quirks for one source (each quirk on a different source each period);
    ``without``: optional contract columns the file leaves out."""
    i = SOURCES.index(source)
    columns = [c for c in SPECS[source].column_names if c not in without]
    shuffled = i == (k + 2) % 3
    if shuffled:
        columns = [columns[j] for j in rng.permutation(len(columns))]
    extra = EXTRA_COLUMN if source is Source.BPJSTK else None
    if extra:
        columns.insert(int(rng.integers(0, len(columns) + 1)), extra)
    return FileStyle(
        crlf=i == k % 3, bom=i == (k + 1) % 3, column_order=tuple(columns), extra_column=extra
    )


def write_extract(path: Path, tables: Iterator[pa.Table], style: FileStyle) -> WrittenFile:
    """Write the chunks as one gzip CSV file and its ``.sha256``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = pacsv.WriteOptions(
        delimiter="|",
        quoting_style="none",
        quoting_header="none",
        eol="\r\n" if style.crlf else "\n",
    )
    rows = 0
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) as gz,
    ):
        if style.bom:
            gz.write(BOM)
        writer = None
        for table in tables:
            table = table.select(list(style.column_order))
            if writer is None:
                writer = pacsv.CSVWriter(gz, table.schema, write_options=options)
            writer.write_table(table)
            rows += table.num_rows
        if writer is not None:
            writer.close()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    sha = digest.hexdigest()
    checksum = path.with_name(path.name + ".sha256")
    checksum.write_text(f"{sha}  {path.name}\n", encoding="ascii")
    return WrittenFile(path, checksum, sha, rows, path.stat().st_size)


# ----------------------------------------------------------------------------------------
# text helpers


def _mask(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.bool_())


def noisy(
    values: pa.Array,
    rng: np.random.Generator,
    *,
    title: float = 0.0,
    lower: float = 0.0,
    pad: float = 0.0,
    protect: np.ndarray | None = None,
) -> pa.Array:
    """Case and padding noise on a share of the values (never on ``protect`` rows); only
    the affected rows are transformed."""
    n = len(values)
    u = rng.random(n)
    v = rng.random(n)
    if protect is not None:
        u[protect] = 1.0
        v[protect] = 1.0

    def apply(out: pa.Array, mask: np.ndarray, transform) -> pa.Array:
        rows = np.flatnonzero(mask)
        if len(rows) == 0:
            return out
        changed = transform(out.take(pa.array(rows)))
        return pc.replace_with_mask(out, _mask(mask), changed)

    out = values
    if title:
        out = apply(out, u < title, pc.utf8_title)
    if lower:
        out = apply(out, (u >= title) & (u < title + lower), pc.utf8_lower)
    if pad:
        out = apply(out, v < pad / 2, lambda x: pc.binary_join_element_wise(" ", x, ""))
        out = apply(out, v > 1 - pad / 2, lambda x: pc.binary_join_element_wise(x, "  ", ""))
    return out


def with_overrides(values: pa.Array, pids: np.ndarray, overrides: dict[int, str]) -> pa.Array:
    if not overrides:
        return values
    keys = np.fromiter(overrides, dtype=np.int64, count=len(overrides))
    hit = np.isin(pids, keys)
    if not hit.any():
        return values
    replacement = pa.array([overrides[int(p)] for p in pids[hit]], type=pa.string())
    return pc.replace_with_mask(values, _mask(hit), replacement)


def dates(days: np.ndarray, fmt: str, missing: np.ndarray | None = None) -> pa.Array:
    """Formatted dates: each distinct day is formatted once (a lookup table over the range
    of days, then a take), far faster than formatting every row."""
    days = np.asarray(days, dtype=np.int64)
    if missing is None:
        missing = np.zeros(len(days), dtype=bool)
    present = days[~missing]
    if len(present) == 0:
        return pa.nulls(len(days), pa.string())
    low, high = int(present.min()), int(present.max())
    table = pc.strftime(pa.array(np.arange(low, high + 1).astype("datetime64[D]")), format=fmt)
    index = np.where(missing, 0, days - low).astype(np.int32)
    return table.take(pa.array(index, mask=missing))


def ints(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), mask=missing)


def _protected(pop: Population, pids: np.ndarray) -> np.ndarray | None:
    if not pop.plain_text:
        return None
    return np.isin(pids, np.fromiter(pop.plain_text, dtype=np.int64, count=len(pop.plain_text)))


# ----------------------------------------------------------------------------------------
# the three sources


def dukcapil_tables(pop: Population, rng: np.random.Generator) -> Iterator[pa.Table]:
    table = kelurahan_table()
    birthplaces = pa.array(birthplace_table()[0].tolist(), type=pa.string())
    prefixes = pa.array(list(STREET_PREFIXES), type=pa.string())
    streets = pa.array(list(STREET_NAMES), type=pa.string())
    statuses = pa.array(list(STATUS_DASAR), type=pa.string())
    everyone = np.flatnonzero(pop.in_dukcapil)
    for start in range(0, len(everyone), CHUNK):
        pids = everyone[start : start + CHUNK]
        protect = _protected(pop, pids)
        name = with_overrides(
            nm.render(pop.tok1[pids], pop.tok2[pids], pop.tok3[pids]), pids, pop.dukcapil_names
        )
        kel = pop.kel[pids]
        address = pc.binary_join_element_wise(
            prefixes.take(pa.array(pop.street_prefix[pids].astype(np.int32))),
            streets.take(pa.array(pop.street[pids].astype(np.int32))),
            " NO. ",
            pc.cast(ints(pop.house_no[pids]), pa.string()),
            "",
        )
        event = pop.event[pids]
        yield pa.table(
            {
                "NIK": pc.cast(ints(pop.nik[pids]), pa.string()),
                "NO_KK": pc.cast(ints(pop.kk[pids]), pa.string()),
                "NAMA_LGKP": noisy(name, rng, title=0.004, pad=0.004, protect=protect),
                "JENIS_KLMIN": ints(pop.sex[pids]),
                "TMPT_LHR": noisy(
                    birthplaces.take(pa.array(pop.birthplace[pids].astype(np.int32))),
                    rng,
                    title=0.01,
                    pad=0.003,
                ),
                "TGL_LHR": dates(pop.dob[pids], "%d-%m-%Y"),
                "STAT_KWN": ints(pop.stat_kwn[pids]),
                "JENIS_PKRJN": ints(pop.occ[pids]),
                "NO_PROP": ints(table.prop[kel]),
                "NO_KAB": ints(table.kab[kel]),
                "NO_KEC": ints(table.kec[kel]),
                "NO_KEL": ints(table.kel[kel]),
                "ALAMAT": noisy(address, rng, pad=0.003),
                "NO_RT": ints(pop.rt[pids]),
                "NO_RW": ints(pop.rw[pids]),
                "STATUS_DASAR": noisy(
                    statuses.take(pa.array(pop.status[pids].astype(np.int32))),
                    rng,
                    title=0.002,
                    lower=0.002,
                    pad=0.002,
                ),
                "TGL_PERISTIWA": dates(event, "%d-%m-%Y", missing=event < 0),
            }
        )


def dtsen_tables(pop: Population, rng: np.random.Generator, ranking: date) -> Iterator[pa.Table]:
    table = kelurahan_table()
    codes = pa.array(table.code.tolist(), type=pa.string())
    flags = pa.array(["N", "Y"], type=pa.string())
    everyone = np.flatnonzero(pop.in_dtsen)
    default_rank = (ranking - date(1970, 1, 1)).days
    for start in range(0, len(everyone), CHUNK):
        pids = everyone[start : start + CHUNK]
        protect = _protected(pop, pids)
        fam = pop.fam[pids]
        name = with_overrides(
            nm.render(pop.tok1[pids], pop.tok2[pids], pop.tok3[pids]), pids, pop.dtsen_names
        )
        rank = np.where(pop.rank_date[pids] >= 0, pop.rank_date[pids], default_rank)
        kerja = pop.kerja[pids]
        yield pa.table(
            {
                "NIK": pc.cast(ints(pop.nik[pids]), pa.string()),
                "NO_KK": pc.cast(ints(pop.fam_kk[fam]), pa.string()),
                "NAMA": noisy(name, rng, title=0.004, pad=0.003, protect=protect),
                "KODE_WILAYAH": noisy(
                    codes.take(pa.array(pop.dtsen_kel[pids].astype(np.int32))), rng, pad=0.002
                ),
                "DESIL": ints(pop.fam_desil[fam]),
                "STATUS_PEKERJAAN": ints(kerja, missing=kerja == 0),
                "PENERIMA_PKH": noisy(
                    flags.take(pa.array(pop.fam_pkh[fam].astype(np.int32))), rng, lower=0.003
                ),
                "STATUS_KEBERADAAN": ints(pop.keberadaan[pids]),
                "TGL_PEMERINGKATAN": dates(rank, "%Y-%m-%d"),
                "DISABILITAS": disability_flags(pids),
            }
        )


#: DTSEN's optional DISABILITAS: the share of rows with ``Y``, and left empty (unknown)
DISABILITY_SHARE = 0.06
DISABILITY_UNKNOWN_SHARE = 0.03


def disability_draw(pids: np.ndarray) -> np.ndarray:
    """A fixed number in [0, 1) per person id (SplitMix64 of the id): who has a disability
    depends on nobody's random stream, so adding the column changed no other value."""
    with np.errstate(over="ignore"):
        z = np.asarray(pids, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def disability_flags(pids: np.ndarray) -> pa.Array:
    """``Y`` for about 6% of the people, empty for about 3%, ``N`` for the rest."""
    u = disability_draw(pids)
    flags = np.where(u < DISABILITY_SHARE, "Y", "N").astype(object)
    return pa.array(flags, type=pa.string(), mask=u >= 1 - DISABILITY_UNKNOWN_SHARE)


def bpjs_table(
    rows: pd.DataFrame, period: str, previous: str, rng: np.random.Generator
) -> pa.Table:
    """The period's BPU list (``rows``: the visible rows of :class:`BpjsList`)."""
    rows = rows.sort_values("kpj", kind="stable")
    n = len(rows)
    kpj = rows["kpj"].to_numpy()
    aktif = rows["aktif"].to_numpy()
    active = (rows["status"] == "AKTIF").to_numpy()
    start = np.datetime64(period + "-01").astype("datetime64[D]").astype(np.int64)
    new = aktif >= start
    bulan = np.where(kpj % 10 == 0, previous, period).astype(object)
    bulan = np.where(new & (kpj % 2 == 0), "", bulan)
    offset = rows["paid_offset"]
    planted = (offset.notna() & active).to_numpy(dtype=bool)
    if planted.any():  # planted arrears (negative) or months paid ahead (positive)
        months = np.datetime64(period, "M") + offset[planted].to_numpy(dtype=np.int64)
        bulan[planted] = months.astype(str).astype(object)
    bulan = np.where(active, bulan, rows["bulan"].to_numpy(dtype=object))
    branch = np.array(BRANCHES, dtype=object)[kpj % len(BRANCHES)]

    def text(values) -> pa.Array:
        return pa.array(np.asarray(values, dtype=object), type=pa.string())

    return (
        pa.table(
            {
                "KPJ": pc.cast(ints(kpj), pa.string()),
                "NIK": noisy(text(rows["nik"]), rng, pad=0.006),
                "NAMA": noisy(text(rows["nama"]), rng, title=0.05, pad=0.004),
                "TGL_LAHIR": dates(rows["dob"].to_numpy(), "%Y-%m-%d"),
                "KATEGORI": noisy(text(rows["kategori"]), rng, lower=0.01, pad=0.003),
                "PROGRAM": noisy(text(rows["program"]), rng, pad=0.004),
                "UPAH_DILAPORKAN": ints(rows["upah"].to_numpy()),
                "IURAN_BULANAN": ints(rows["iuran"].to_numpy()),
                "SUMBER_IURAN": noisy(text(rows["sumber"]), rng, lower=0.005, pad=0.003),
                "TGL_AKTIF": dates(aktif, "%Y-%m-%d"),
                "STATUS_KEPESERTAAN": noisy(
                    text(rows["status"]), rng, title=0.01, lower=0.005, pad=0.01
                ),
                "BULAN_IURAN_TERAKHIR": pa.array(bulan.tolist(), type=pa.string()),
                EXTRA_COLUMN: text(branch),
            }
        )
        if n
        else pa.table(
            {
                c: pa.array([], pa.string())
                for c in (*SPECS[Source.BPJSTK].column_names, EXTRA_COLUMN)
            }
        )
    )
