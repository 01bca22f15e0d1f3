"""The extract contract (``contracts/EXTRACTS.md``) as data: one place that names every
column, its type, format and allowed codes.

The reader (``connectors.extract_file``), the row predicates and the Great Expectations
suites (``expectations``), the sample generator and the drift tests all use these specs;
nothing else spells a column name of an extract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from domain.codes import Source
from domain.periods import compact

ColumnType = Literal["nik", "digits", "text", "int", "date", "month", "code", "flag"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    #: True: an empty value breaks the contract
    required: bool = True
    #: for ``date``: the strptime format; for ``digits``: the exact length
    fmt: str | None = None
    length: int | None = None
    #: allowed values for ``code``/``int`` columns (compared after strip + upper case)
    allowed: tuple[str, ...] | None = None
    #: inclusive bounds for ``int`` columns
    min: int | None = None
    max: int | None = None
    #: the most characters a value may hold (``text`` columns, and the BPJS KPJ); a text
    #: value also holds no control character (see :data:`CONTROL_CHARACTERS`)
    max_length: int | None = None


@dataclass(frozen=True)
class ExtractSpec:
    source: Source
    #: file name pattern; ``{yyyymm}`` is the period without the dash
    file_pattern: str
    columns: tuple[Column, ...]
    #: columns whose values must be unique in the file
    unique: tuple[str, ...] = field(default=())
    #: ``None``: a row breaking any rejecting rule leaves the extract (Dukcapil, DTSEN,
    #: the results file). Otherwise (the BPJS list: a participant row is never dropped)
    #: a row is removed only when it cannot be used: a broken value in one of these
    #: columns, a line that cannot be split into fields, a key repeated with differing
    #: rows (a row repeated identically keeps its first copy). A broken value elsewhere
    #: is nulled (text: its control characters blanked) and the row kept; the problem is
    #: a warning, listed in the rejects file with the action ``KEPT``.
    essential: tuple[str, ...] | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def file_name(self, period: str) -> str:
        return self.file_pattern.format(yyyymm=compact(period))

    def remote_path(self, period: str) -> str:
        """Relative path inside the source's remote root: ``YYYY/MM/<file>``."""
        year, month = period.split("-")
        return f"{year}/{month}/{self.file_name(period)}"


DUKCAPIL_DATE = "%d-%m-%Y"

#: control characters no text value may hold: C0 (U+0000-U+001F, TAB included: the
#: contract's text has none), DEL and C1 (U+007F-U+009F); a regular expression class
#: that RE2 (Arrow) and Python read alike. Surrounding TABs are white space, stripped
#: before any rule.
CONTROL_CHARACTERS = "[\\x00-\\x1f\\x7f-\\x9f]"
#: the caps of text values, in characters (``Column.max_length``)
NAME_CAP = 200
PLACE_CAP = 100
ADDRESS_CAP = 500
NOTE_CAP = 1000
#: the BPJS NIK as typed (64: room for any typo of 16 digits) and an identifier
TYPED_ID_CAP = 64
KPJ_CAP = 32
ISO_DATE = "%Y-%m-%d"

STATUS_DASAR = ("HIDUP", "MATI", "PINDAH")
KATEGORI = (
    "OJOL", "ORGANDA", "PKL", "UMKM", "PKH", "RT_RW", "KADER_POSYANDU", "HONORER",
    "PEMULUNG", "BURUH_HARIAN", "PRT", "LAINNYA",
)  # fmt: skip
SUMBER_IURAN = ("APBD_KOTA", "MANDIRI", "APBD_PROV", "CSR")
STATUS_KEPESERTAAN = ("AKTIF", "NONAKTIF")
PROGRAM = ("JKK+JKM", "JKK+JKM+JHT")

DUKCAPIL = ExtractSpec(
    source=Source.DUKCAPIL,
    file_pattern="DUKCAPIL_3275_{yyyymm}.csv.gz",
    columns=(
        Column("NIK", "nik"),
        Column("NO_KK", "digits", length=16),
        Column("NAMA_LGKP", "text", max_length=NAME_CAP),
        Column("JENIS_KLMIN", "int", min=1, max=2),
        Column("TMPT_LHR", "text", required=False, max_length=PLACE_CAP),
        Column("TGL_LHR", "date", fmt=DUKCAPIL_DATE),
        Column("STAT_KWN", "int", min=1, max=4),
        Column("JENIS_PKRJN", "int", min=1, max=89),
        Column("NO_PROP", "int", min=11, max=99),
        Column("NO_KAB", "int", min=1, max=99),
        Column("NO_KEC", "int", min=1, max=99),
        Column("NO_KEL", "int", min=1001, max=9999),
        Column("ALAMAT", "text", required=False, max_length=ADDRESS_CAP),
        Column("NO_RT", "int", required=False, min=0, max=999),
        Column("NO_RW", "int", required=False, min=0, max=999),
        Column("STATUS_DASAR", "code", allowed=STATUS_DASAR),
        # present exactly when STATUS_DASAR is not HIDUP (a cross-column rule)
        Column("TGL_PERISTIWA", "date", required=False, fmt=DUKCAPIL_DATE),
    ),
    unique=("NIK",),
)

DTSEN = ExtractSpec(
    source=Source.DTSEN,
    file_pattern="DTSEN_3275_{yyyymm}.csv.gz",
    columns=(
        Column("NIK", "nik"),
        Column("NO_KK", "digits", length=16),
        Column("NAMA", "text", max_length=NAME_CAP),
        Column("KODE_WILAYAH", "code"),  # 32.75.CC.NNNN, must exist in the reference
        Column("DESIL", "int", min=1, max=10),
        Column("STATUS_PEKERJAAN", "int", required=False, min=1, max=8),
        Column("PENERIMA_PKH", "flag", allowed=("Y", "N")),
        Column("STATUS_KEBERADAAN", "int", allowed=("1", "2", "3", "4", "6")),
        Column("TGL_PEMERINGKATAN", "date", fmt=ISO_DATE),
        # optional: a delivery without the column is valid (then every value is null);
        # statistics break coverage down by it, no rule reads it
        Column("DISABILITAS", "flag", required=False, allowed=("Y", "N")),
    ),
    unique=("NIK",),
)

BPJSTK = ExtractSpec(
    source=Source.BPJSTK,
    file_pattern="BPJSTK_BPU_3275_{yyyymm}.csv.gz",
    columns=(
        Column("KPJ", "digits", length=11, max_length=KPJ_CAP),  # soft: another length warns
        Column("NIK", "text", max_length=TYPED_ID_CAP),  # as typed: a matching outcome
        Column("NAMA", "text", max_length=NAME_CAP),
        Column("TGL_LAHIR", "date", fmt=ISO_DATE),
        Column("KATEGORI", "code", allowed=KATEGORI),
        Column("PROGRAM", "code", allowed=PROGRAM),
        Column("UPAH_DILAPORKAN", "int", min=0),
        Column("IURAN_BULANAN", "int", min=0),
        Column("SUMBER_IURAN", "code", allowed=SUMBER_IURAN),
        Column("TGL_AKTIF", "date", fmt=ISO_DATE),
        Column("STATUS_KEPESERTAAN", "code", allowed=STATUS_KEPESERTAAN),
        Column("BULAN_IURAN_TERAKHIR", "month", required=False, fmt="%Y-%m"),
    ),
    unique=("KPJ",),
    # what makes a row a participant, or not: who pays, is it active, which KPJ
    essential=("KPJ", "SUMBER_IURAN", "STATUS_KEPESERTAAN"),
)

VERIFIKASI = ExtractSpec(
    source=Source.DUKCAPIL,  # arrives on the Dukcapil side or a local inbox
    file_pattern="HASIL_VERIFIKASI_{yyyymm}.csv",
    columns=(
        Column("CASE_ID", "text", max_length=TYPED_ID_CAP),
        Column("NIK", "nik"),
        Column("HASIL", "code", allowed=("LAYAK", "TIDAK_LAYAK", "NIK_DIKOREKSI")),
        Column("NIK_BARU", "nik", required=False),  # required when HASIL = NIK_DIKOREKSI
        Column("CATATAN", "text", required=False, max_length=NOTE_CAP),
        Column("PETUGAS", "text", max_length=NAME_CAP),
        Column("TGL_VERIFIKASI", "date", fmt=ISO_DATE),
    ),
    unique=("CASE_ID",),
)

SPECS: dict[Source, ExtractSpec] = {
    Source.DUKCAPIL: DUKCAPIL,
    Source.DTSEN: DTSEN,
    Source.BPJSTK: BPJSTK,
}

#: the name of the column that carries the original line number of each row
LINE = "_line"
