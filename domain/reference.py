"""Reference lists shipped as package data (see ``domain/data/SOURCE.md``).

Loaded once per process and cached; callers get read-only views.
"""

from __future__ import annotations

import gzip
import io
from functools import cache
from importlib import resources

import pandas as pd

from domain.codes import CITY_CODE

_DATA = resources.files("domain") / "data"


@cache
def regions() -> pd.DataFrame:
    """All Kemendagri region codes: columns ``kode``, ``nama``, ``tingkat``."""
    raw = (_DATA / "kode_wilayah_kemendagri_2025.csv.gz").read_bytes()
    with gzip.open(io.BytesIO(raw), "rt", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@cache
def kecamatan_codes() -> frozenset[str]:
    """Kecamatan codes as the six digits a NIK starts with (``327501`` for 32.75.01)."""
    kec = regions().loc[lambda f: f["tingkat"] == "kecamatan", "kode"]
    return frozenset(kec.str.replace(".", "", regex=False))


@cache
def kelurahan_codes() -> frozenset[str]:
    """Kelurahan/desa codes in dotted form (``32.75.01.1001``)."""
    return frozenset(regions().loc[lambda f: f["tingkat"] == "kelurahan_desa", "kode"])


@cache
def city_kelurahan() -> pd.DataFrame:
    """Kota Bekasi's kelurahan: ``kode_kelurahan``, ``nama_kelurahan``, ``kode_kecamatan``,
    ``nama_kecamatan``."""
    reg = regions()
    kel = reg[(reg["tingkat"] == "kelurahan_desa") & reg["kode"].str.startswith(CITY_CODE + ".")]
    kec = reg[reg["tingkat"] == "kecamatan"].set_index("kode")["nama"]
    out = pd.DataFrame(
        {
            "kode_kelurahan": kel["kode"].to_numpy(),
            "nama_kelurahan": kel["nama"].to_numpy(),
            "kode_kecamatan": kel["kode"].str[:8].to_numpy(),
        }
    )
    out["nama_kecamatan"] = out["kode_kecamatan"].map(kec)
    return out.reset_index(drop=True)


@cache
def occupations() -> pd.DataFrame:
    """Dukcapil occupation codes: ``kode`` (int), ``nama``, ``kelompok``
    (``FORMAL``, ``INFORMAL``, ``TIDAK_BEKERJA``)."""
    data = (_DATA / "pekerjaan_dukcapil.csv").read_text(encoding="utf-8")
    frame = pd.read_csv(io.StringIO(data), dtype={"kode": "int16", "nama": str, "kelompok": str})
    return frame


def occupation_group(codes: pd.Series) -> pd.Series:
    """Map occupation codes (ints, may be null) to their group; unknown codes give null."""
    mapping = occupations().set_index("kode")["kelompok"]
    return codes.map(mapping)
