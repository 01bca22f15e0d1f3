"""Places for the sample: domiciles (kelurahan), where NIKs were first issued, birth places
and street names.

Every code comes from the Kemendagri reference list (``domain.reference``): Kota Bekasi's
56 kelurahan for residents, Kabupaten Bekasi (32.16) and Jakarta Timur (31.75) desa and
kelurahan for people whose domicile is outside the city, and any real kecamatan of
Indonesia for the six-digit prefix of a NIK (the kecamatan where it was first issued).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from domain.codes import CITY_CODE
from domain.reference import city_kelurahan, kecamatan_codes, regions


@dataclass(frozen=True)
class KelurahanTable:
    """Domicile codes, indexed by a small integer (``int16`` in the population arrays).

    Rows ``0 .. n_city-1`` are Kota Bekasi's kelurahan, then Kabupaten Bekasi's, then
    Jakarta Timur's.
    """

    code: np.ndarray  # object: '32.75.01.1001'
    prop: np.ndarray  # int16
    kab: np.ndarray  # int16
    kec: np.ndarray  # int16
    kel: np.ndarray  # int16
    n_city: int
    kab_bekasi: np.ndarray  # indices of 32.16 rows
    jakarta_timur: np.ndarray  # indices of 31.75 rows

    @property
    def city(self) -> np.ndarray:
        return np.arange(self.n_city)

    def nik_prefix(self, index: np.ndarray) -> np.ndarray:
        """The six-digit kecamatan code (``327501``) of each kelurahan, as int64."""
        return (
            self.prop[index].astype(np.int64) * 10_000
            + self.kab[index].astype(np.int64) * 100
            + self.kec[index].astype(np.int64)
        )


@cache
def kelurahan_table() -> KelurahanTable:
    city = city_kelurahan()["kode_kelurahan"].tolist()
    reg = regions()
    desa = reg.loc[reg["tingkat"] == "kelurahan_desa", "kode"]
    kab = sorted(desa[desa.str.startswith("32.16.")])
    jaktim = sorted(desa[desa.str.startswith("31.75.")])
    codes = np.array(city + kab + jaktim, dtype=object)
    parts = np.array([c.split(".") for c in codes], dtype=object)
    ints = parts.astype(np.int64)
    n_city = len(city)
    return KelurahanTable(
        code=codes,
        prop=ints[:, 0].astype(np.int16),
        kab=ints[:, 1].astype(np.int16),
        kec=ints[:, 2].astype(np.int16),
        kel=ints[:, 3].astype(np.int16),
        n_city=n_city,
        kab_bekasi=np.arange(n_city, n_city + len(kab)),
        jakarta_timur=np.arange(n_city + len(kab), len(codes)),
    )


@cache
def kecamatan_by_province() -> dict[int, np.ndarray]:
    """Every real kecamatan code (``int64`` ``PPKKCC``) grouped by province, except Kota
    Bekasi's own (those are drawn from the domicile)."""
    city_prefix = CITY_CODE.replace(".", "")
    codes = sorted(c for c in kecamatan_codes() if not c.startswith(city_prefix))
    arr = np.array(codes, dtype=np.int64)
    prov = arr // 10_000
    return {int(p): arr[prov == p] for p in np.unique(prov)}


#: Where people who moved to Bekasi got their NIK, by ethnic group (province weights).
#: Keys are the ethnic groups of :mod:`devkit.sample.names`.
ORIGIN_PROVINCES: dict[str, tuple[tuple[int, float], ...]] = {
    "JAWA": ((33, 0.5), (35, 0.25), (34, 0.1), (32, 0.1), (31, 0.05)),
    "SUNDA": ((32, 0.85), (36, 0.1), (31, 0.05)),
    "BETAWI": ((31, 0.7), (32, 0.2), (36, 0.1)),
    "ARAB": ((31, 0.3), (32, 0.3), (33, 0.2), (35, 0.1), (36, 0.1)),
    "BATAK": ((12, 0.8), (31, 0.1), (14, 0.1)),
    "MINANG": ((13, 0.8), (31, 0.1), (14, 0.1)),
    "TIONGHOA": ((31, 0.5), (12, 0.2), (61, 0.15), (36, 0.15)),
}


@cache
def birthplace_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Birth places from the regency (kabupaten/kota) of a NIK's issuing kecamatan.

    Returns ``(names, kab_codes, name_index)``: ``names`` an object array of place names
    (``KEBUMEN``, ``BEKASI``, ``JAKARTA``...), ``kab_codes`` the sorted four-digit regency
    codes (``int64`` ``PPKK``) and ``name_index`` the index into ``names`` for each.
    """
    reg = regions()
    kab = reg[reg["tingkat"] == "kabupaten_kota"]
    codes = kab["kode"].str.replace(".", "", regex=False).astype(np.int64).to_numpy()
    raw = kab["nama"].str.upper().str.replace(r"^(KABUPATEN|KOTA)( ADMINISTRASI)? ", "", regex=True)
    raw = raw.str.replace(r"^JAKARTA .*", "JAKARTA", regex=True).to_numpy(dtype=object)
    order = np.argsort(codes)
    codes, raw = codes[order], raw[order]
    names, index = np.unique(raw, return_inverse=True)
    return names.astype(object), codes, index.astype(np.int16)


def birthplace_of(prefix6: np.ndarray) -> np.ndarray:
    """Birth-place index (into :func:`birthplace_table` names) for six-digit NIK prefixes."""
    _, codes, index = birthplace_table()
    pos = np.searchsorted(codes, np.asarray(prefix6, dtype=np.int64) // 100)
    pos = np.clip(pos, 0, len(codes) - 1)
    return index[pos]


#: street address prefixes and names (Kota Bekasi streets and common kampung names)
STREET_PREFIXES = ("JL. ", "JL. ", "JL. ", "GG. ", "KP. ", "PERUM ")
STREET_NAMES = (
    "MERDEKA", "PEKAYON RAYA", "KALIMALANG", "AHMAD YANI", "JATIWARINGIN RAYA", "CUT MUTIA",
    "NAROGONG", "PERJUANGAN", "SILIWANGI", "MUSTIKAJAYA", "KEMANG PRATAMA", "HARAPAN INDAH",
    "GALAXY", "BINTARA JAYA", "RAYA HANKAM", "SWADAYA", "MANGGA", "MELATI", "KENANGA",
    "DAHLIA", "ANGGREK", "H. NAMAN", "CEMPAKA", "PENGASINAN", "BOJONG MENTENG", "CIKIWUL",
    "SUMUR BATU", "JATIRAHAYU", "JATIMAKMUR", "KRANJI", "BULAK KAPAL", "PONDOK UNGU",
    "KALIABANG", "TELUK BUYUNG", "RAWA PANJANG", "SEPANJANG JAYA", "DURI KEPA", "NUSA INDAH",
    "SETIA MEKAR", "PUSPA", "BUDI LUHUR", "PRAMUKA", "KH. NOER ALIE", "IR. H. JUANDA",
    "CHAIRIL ANWAR", "SULTAN AGUNG", "WIBAWA MUKTI", "PEKAYON JAYA", "KAMPUNG DUA",
    "RAWA BUGEL",
)  # fmt: skip
