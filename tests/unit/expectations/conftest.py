"""Small valid extracts, built in code, and helpers to break them.

Every broken delivery in these tests starts from one of the valid frames below and
changes one thing; each test states exactly what must come out (which lines are rejected
with which rule, or which message). Files are written under ``tmp_path`` only.

Line numbers: the header is line 1, so row ``i`` of a frame (0-based) is line ``i + 2``.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from domain.extracts import BPJSTK, DTSEN, DUKCAPIL, VERIFIKASI, ExtractSpec
from domain.reference import city_kelurahan

PERIOD = "2026-10"
#: generous limits for tests that are about rows, not about the gates
LOOSE = {
    "max_reject_share": 1.0,
    "row_count_tolerance": 0.10,
    "previous_rows": None,
    "max_uncompressed_bytes": 10_000_000,
}


def line_of(row: int) -> int:
    """The file line of a frame row (0-based): the header is line 1."""
    return row + 2


def _nik(kecamatan: pd.Series, birth: pd.Series, sex: np.ndarray, serial: np.ndarray) -> pd.Series:
    day = birth.dt.day.to_numpy() + np.where(sex == 2, 40, 0)
    return (
        kecamatan
        + pd.Series(day, index=birth.index).astype(str).str.zfill(2)
        + birth.dt.strftime("%m%y")
        + pd.Series(serial, index=birth.index).astype(str).str.zfill(4)
    )


def _people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kel = city_kelurahan().iloc[rng.integers(0, 56, n)].reset_index(drop=True)
    birth = pd.Series(pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 20_000, n), "D"))
    sex = rng.integers(1, 3, n)
    kecamatan = kel["kode_kecamatan"].str.replace(".", "", regex=False)
    first = np.array(["SITI", "AHMAD", "BUDI", "DEWI", "RINA", "AGUS", "NUR", "EKO"])
    last = np.array(["AMINAH", "SANTOSO", "WIJAYA", "LESTARI", "HIDAYAT"])
    return pd.DataFrame(
        {
            "nik": _nik(kecamatan, birth, sex, np.arange(1, n + 1)),
            "kk": pd.Series(3275010000000000 + rng.integers(1, 10**9, n)).astype(str),
            "name": pd.Series(first[rng.integers(0, 8, n)]) + " " + last[rng.integers(0, 5, n)],
            "birth": birth,
            "sex": sex,
            "kel": kel["kode_kelurahan"],
        }
    )


def dukcapil_frame(n: int = 12, seed: int = 1) -> pd.DataFrame:
    """Valid Dukcapil rows (strings, as delivered); the last two died / moved out."""
    p = _people(n, seed)
    status = np.array(["HIDUP"] * n, dtype=object)
    event = np.array([""] * n, dtype=object)
    if n >= 3:
        status[-2:] = ["MATI", "PINDAH"]
        event[-2:] = ["15-10-2026", "03-10-2026"]
    return pd.DataFrame(
        {
            "NIK": p["nik"],
            "NO_KK": p["kk"],
            "NAMA_LGKP": p["name"],
            "JENIS_KLMIN": p["sex"].astype(str),
            "TMPT_LHR": "BEKASI",
            "TGL_LHR": p["birth"].dt.strftime("%d-%m-%Y"),
            "STAT_KWN": "2",
            "JENIS_PKRJN": "88",
            "NO_PROP": p["kel"].str[0:2],
            "NO_KAB": p["kel"].str[3:5],
            "NO_KEC": p["kel"].str[6:8].astype(int).astype(str),
            "NO_KEL": p["kel"].str[9:13],
            "ALAMAT": "JL. MAWAR NO 1",
            "NO_RT": "3",
            "NO_RW": "7",
            "STATUS_DASAR": status,
            "TGL_PERISTIWA": event,
        }
    )[list(DUKCAPIL.column_names)]


def dtsen_frame(n: int = 12, seed: int = 2) -> pd.DataFrame:
    p = _people(n, seed)
    i = np.arange(n)
    return pd.DataFrame(
        {
            "NIK": p["nik"],
            "NO_KK": p["kk"],
            "NAMA": p["name"],
            "KODE_WILAYAH": p["kel"],
            "DESIL": (i % 10 + 1).astype(str),
            "STATUS_PEKERJAAN": np.where(i % 3 == 0, "", (i % 8 + 1).astype(str)),
            "PENERIMA_PKH": np.where(i % 2 == 0, "Y", "N"),
            "STATUS_KEBERADAAN": "1",
            "TGL_PEMERINGKATAN": "2026-10-01",
            # the optional column: Y, N and empty (unknown)
            "DISABILITAS": np.array(["N", "Y", "N", ""])[i % 4],
        }
    )[list(DTSEN.column_names)]


def bpjstk_frame(n: int = 12, seed: int = 3) -> pd.DataFrame:
    p = _people(n, seed)
    i = np.arange(n)
    return pd.DataFrame(
        {
            "KPJ": pd.Series(10_000_000_000 + i * 7919).astype(str),
            "NIK": p["nik"],
            "NAMA": p["name"],
            "TGL_LAHIR": p["birth"].dt.strftime("%Y-%m-%d"),
            "KATEGORI": np.array(["OJOL", "PKL", "RT_RW", "LAINNYA"])[i % 4],
            "PROGRAM": "JKK+JKM",
            "UPAH_DILAPORKAN": "1000000",
            "IURAN_BULANAN": "16800",
            "SUMBER_IURAN": np.where(i % 5 == 0, "MANDIRI", "APBD_KOTA"),
            "TGL_AKTIF": "2025-11-05",
            "STATUS_KEPESERTAAN": "AKTIF",
            "BULAN_IURAN_TERAKHIR": np.where(i % 4 == 0, "", "2026-10"),
        }
    )[list(BPJSTK.column_names)]


def verifikasi_frame(n: int = 6, seed: int = 4) -> pd.DataFrame:
    p = _people(n, seed)
    i = np.arange(n)
    hasil = np.array(["LAYAK", "TIDAK_LAYAK", "NIK_DIKOREKSI"])[i % 3]
    other = _people(n, seed + 100)["nik"]
    return pd.DataFrame(
        {
            "CASE_ID": "C-" + pd.Series(i + 1).astype(str),
            "NIK": p["nik"],
            "HASIL": hasil,
            "NIK_BARU": np.where(hasil == "NIK_DIKOREKSI", other, ""),
            "CATATAN": "",
            "PETUGAS": "LURAH MARGAHAYU",
            "TGL_VERIFIKASI": "2026-10-20",
        }
    )[list(VERIFIKASI.column_names)]


FRAMES: dict[str, tuple[ExtractSpec, Callable[..., pd.DataFrame]]] = {
    "dukcapil": (DUKCAPIL, dukcapil_frame),
    "dtsen": (DTSEN, dtsen_frame),
    "bpjstk": (BPJSTK, bpjstk_frame),
}


def to_text(frame: pd.DataFrame, *, sep: str = "|", newline: str = "\n") -> str:
    header = sep.join(frame.columns)
    body = [sep.join(row) for row in frame.astype(str).itertuples(index=False, name=None)]
    return newline.join([header, *body]) + newline


def write_extract(path: Path, frame: pd.DataFrame | str | bytes, *, compress: bool = True) -> Path:
    """Write a frame (or ready text/bytes) as a delivered file: gzip unless told not to."""
    if isinstance(frame, pd.DataFrame):
        frame = to_text(frame)
    data = frame.encode("utf-8") if isinstance(frame, str) else frame
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def with_value(frame: pd.DataFrame, row: int, column: str, value: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[row, column] = value
    return out


@pytest.fixture(scope="session", autouse=True)
def _hypothesis_outside_the_tree(tmp_path_factory):
    """Hypothesis keeps caches in ``./.hypothesis``; these tests keep theirs in a temporary
    folder instead (and restore the default for other tests of the session)."""
    from hypothesis import configuration

    configuration.set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    configuration.set_hypothesis_home_dir(None)


@pytest.fixture(scope="session", autouse=True)
def _great_expectations_imported():
    """Import GX (and register the custom expectations) once per session: the import is
    the slow part of creating a context."""
    import great_expectations  # noqa: F401

    import expectations.custom  # noqa: F401


class Deliveries:
    """What the tests use to build deliveries (a fixture: test modules cannot import a
    conftest under ``--import-mode=importlib``)."""

    PERIOD = PERIOD
    LOOSE = LOOSE
    FRAMES = FRAMES
    line_of = staticmethod(line_of)
    dukcapil = staticmethod(dukcapil_frame)
    dtsen = staticmethod(dtsen_frame)
    bpjstk = staticmethod(bpjstk_frame)
    verifikasi = staticmethod(verifikasi_frame)
    to_text = staticmethod(to_text)
    with_value = staticmethod(with_value)

    def __init__(self, root: Path) -> None:
        self.root = root
        self.work_dir = root / "run"
        self._count = 0

    def file(
        self, content: pd.DataFrame | str | bytes, name: str | None = None, *, compress: bool = True
    ) -> Path:
        """Write a delivery under the test's tmp_path and return its path."""
        self._count += 1
        folder = self.root / "inbox" / str(self._count)
        folder.mkdir(parents=True)
        name = name or ("DELIVERY.csv.gz" if compress else "DELIVERY.csv")
        return write_extract(folder / name, content, compress=compress)


@pytest.fixture
def make(tmp_path: Path) -> Deliveries:
    return Deliveries(tmp_path)
