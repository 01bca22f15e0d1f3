"""The sample city's population as arrays (one element per person, one per household).

Nothing here is text until a chunk is rendered by :mod:`devkit.sample.writer`: names are
token indices, places are table indices, dates are days since 1970-01-01 (``int32``),
NIKs and KK numbers are ``int64``. Building 2.6 million people is a handful of numpy
operations per attribute, with no Python loop over people.

A person's Dukcapil record and DTSEN record live side by side: ``kel``/``kk`` are the
civil-registry domicile and family card, ``dtsen_kel`` and the household's ``fam_kk`` what
DTSEN last surveyed (the two sources are updated independently). ``in_dukcapil`` and
``in_dtsen`` say whether the person appears in this period's extract of each source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import numpy as np

from core.errors import InvalidInput
from devkit.sample.names import ETHNIC_GROUPS, assign_names
from devkit.sample.places import (
    ORIGIN_PROVINCES,
    STREET_NAMES,
    STREET_PREFIXES,
    birthplace_of,
    kecamatan_by_province,
    kelurahan_table,
)
from domain.reference import occupations

EPOCH = date(1970, 1, 1)

# roles: what a person is used for (FREE people may be picked for anything)
FREE = 0
PARTICIPANT = 1  # background city-paid participant, constructed clean
OTHER_PAYER = 2  # background BPU row paid by MANDIRI/APBD_PROV/CSR
CITY_NONAKTIF = 3  # background former city participant (NONAKTIF row)
PLANT = 4  # part of a planted situation (target, twin, ghost...)
RESERVED = 5  # reserved for a later period's new enrolment
CHANGE_TARGET = 6  # a participant or eligible resident who gets a planted change
CHURN = 7  # born, moved in, died or moved out in the background

# household desil locks
UNLOCKED = 0
LOW = 1  # some member needs desil 1..5
EXACT = 2  # the household's desil was set on purpose

STATUS_DASAR = ("HIDUP", "MATI", "PINDAH")
HIDUP, MATI, PINDAH = 0, 1, 2

# occupation groups by code (index = JENIS_PKRJN)
TIDAK_BEKERJA_G, INFORMAL_G, FORMAL_G = 0, 1, 2

#: informal occupations given to people constructed as eligible (weights: Bekasi's mix)
CLEAN_INFORMAL = np.array([88, 8, 84, 19, 81, 14, 13, 23, 18, 89, 2, 30, 35, 46, 26, 12], np.int16)
CLEAN_INFORMAL_P = np.array([20, 7, 7, 11, 5, 3, 3, 2, 3, 4, 14, 2, 2, 2, 1, 3], float)
CLEAN_INFORMAL_P /= CLEAN_INFORMAL_P.sum()

#: working-age occupation mix: code -> weight (about a third FORMAL, mostly private employees)
_WORKER_MIX = {
    15: 24.0, 5: 3.0, 16: 1.5, 17: 0.5, 6: 0.8, 7: 0.8, 63: 0.02, 60: 0.001,
    88: 18.0, 8: 6.0, 84: 5.0, 19: 9.0, 81: 4.0, 14: 3.0, 13: 2.5, 12: 2.0, 23: 1.5, 18: 3.0,
    89: 4.0, 26: 1.0, 27: 1.0, 30: 1.0, 35: 1.2, 65: 2.0, 46: 1.0, 72: 0.3, 74: 0.5, 24: 0.3,
    34: 0.4, 64: 0.3, 44: 0.2, 45: 0.3, 41: 0.2, 73: 0.3, 25: 0.4, 29: 0.2, 36: 0.2, 85: 0.2,
}  # fmt: skip
WORKER_CODES = np.array(list(_WORKER_MIX), dtype=np.int16)
WORKER_P = np.array(list(_WORKER_MIX.values()))
WORKER_P /= WORKER_P.sum()


@cache
def occupation_groups() -> np.ndarray:
    """Group id (TIDAK_BEKERJA_G/INFORMAL_G/FORMAL_G) per occupation code 0..89."""
    occ = occupations()
    out = np.full(90, -1, dtype=np.int8)
    mapping = {"TIDAK_BEKERJA": TIDAK_BEKERJA_G, "INFORMAL": INFORMAL_G, "FORMAL": FORMAL_G}
    out[occ["kode"].to_numpy()] = occ["kelompok"].map(mapping).to_numpy()
    return out


def formal_codes() -> np.ndarray:
    return np.flatnonzero(occupation_groups() == FORMAL_G).astype(np.int16)


# ----------------------------------------------------------------------------------------
# dates


def to_days(d: date) -> int:
    return (d - EPOCH).days


def from_days(days: int) -> date:
    return EPOCH + timedelta(days=int(days))


def years_before(d: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 Feb becomes 28 Feb)."""
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


def _ymd(dob_days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dob = np.asarray(dob_days, dtype="int64").astype("datetime64[D]")
    year = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = dob.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day = (dob - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def age_at(dob_days: np.ndarray, ref: date) -> np.ndarray:
    """Age in whole years at ``ref`` (vectorised)."""
    year, month, day = _ymd(dob_days)
    before = (month > ref.month) | ((month == ref.month) & (day > ref.day))
    return (ref.year - year - before).astype(np.int16)


def age_of(dob_days: int, ref: date) -> int:
    return int(age_at(np.array([dob_days]), ref)[0])


def nik_date_part(dob_days: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """``DDMMYY`` as an integer, 40 added to the day for women."""
    year, month, day = _ymd(dob_days)
    day = day + 40 * (np.asarray(sex) == 2)
    return day * 10_000 + month * 100 + year % 100


# ----------------------------------------------------------------------------------------
# NIK uniqueness


class NikRegistry:
    """Every NIK in use by a person or typed into the BPJS list (digits only), so that no
    generated NIK ever collides with another one."""

    def __init__(self, base: np.ndarray) -> None:
        self._base = np.sort(np.asarray(base, dtype=np.int64))
        self._added: set[int] = set()
        self._removed: set[int] = set()

    def contains_many(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.int64)
        pos = np.clip(np.searchsorted(self._base, values), 0, max(len(self._base) - 1, 0))
        hit = (self._base[pos] == values) if len(self._base) else np.zeros(len(values), bool)
        if self._removed:
            hit &= ~np.isin(values, np.fromiter(self._removed, np.int64))
        if self._added:
            hit |= np.isin(values, np.fromiter(self._added, np.int64))
        return hit

    def contains(self, value: int) -> bool:
        return bool(self.contains_many(np.array([value]))[0])

    def add(self, values) -> None:
        for v in np.atleast_1d(values).tolist():
            self._removed.discard(int(v))
            self._added.add(int(v))

    def remove(self, values) -> None:
        for v in np.atleast_1d(values).tolist():
            self._added.discard(int(v))
            self._removed.add(int(v))


def draw_serials(rng: np.random.Generator, n: int) -> np.ndarray:
    """NIK serials 0001..9999, mostly small as the registry issues them in order."""
    small = rng.integers(1, 400, n)
    large = rng.integers(1, 10_000, n)
    return np.where(rng.random(n) < 0.7, small, large).astype(np.int64)


def unique_niks(
    rng: np.random.Generator, prefix12: np.ndarray, registry: NikRegistry | None
) -> np.ndarray:
    """NIKs ``prefix12 * 10^4 + serial`` with serials drawn until every NIK is unique
    among themselves and not already in ``registry`` (vectorised redraws)."""
    prefix12 = np.asarray(prefix12, dtype=np.int64)
    nik = prefix12 * 10_000 + draw_serials(rng, len(prefix12))
    todo = np.ones(len(nik), dtype=bool)
    for _ in range(200):
        order = np.argsort(nik, kind="stable")
        s = nik[order]
        dup = np.zeros(len(nik), dtype=bool)
        dup[order[1:][s[1:] == s[:-1]]] = True
        if registry is not None:
            dup |= todo & registry.contains_many(nik)
        if not dup.any():
            return nik
        todo = dup
        nik[dup] = prefix12[dup] * 10_000 + rng.integers(1, 10_000, int(dup.sum()))
    raise RuntimeError("could not draw unique NIK serials")  # pragma: no cover


# ----------------------------------------------------------------------------------------
# the population


@dataclass
class Population:
    """Struct of arrays; see the module docstring."""

    # people
    fam: np.ndarray  # int32 household
    nik: np.ndarray  # int64
    kk: np.ndarray  # int64 Dukcapil NO_KK
    sex: np.ndarray  # int8 1 male, 2 female
    dob: np.ndarray  # int32 days
    stat_kwn: np.ndarray  # int8
    occ: np.ndarray  # int16 JENIS_PKRJN
    birthplace: np.ndarray  # int16
    kel: np.ndarray  # int16 domicile (KelurahanTable index)
    street_prefix: np.ndarray  # int8
    street: np.ndarray  # int16
    house_no: np.ndarray  # int16
    rt: np.ndarray  # int16
    rw: np.ndarray  # int16
    status: np.ndarray  # int8 HIDUP/MATI/PINDAH
    event: np.ndarray  # int32 days of death or move, -1
    tok1: np.ndarray  # int16 name tokens
    tok2: np.ndarray
    tok3: np.ndarray
    in_dukcapil: np.ndarray  # bool
    in_dtsen: np.ndarray  # bool
    keberadaan: np.ndarray  # int8 STATUS_KEBERADAAN
    kerja: np.ndarray  # int8 STATUS_PEKERJAAN, 0 = empty
    dtsen_kel: np.ndarray  # int16 KODE_WILAYAH
    rank_date: np.ndarray  # int32 TGL_PEMERINGKATAN override, -1 = the quarter's date
    role: np.ndarray  # int8
    arrival: np.ndarray  # int16 period index the person first appeared in
    # households
    fam_desil: np.ndarray  # int8
    fam_pkh: np.ndarray  # bool
    fam_kk: np.ndarray  # int64 the household's KK (DTSEN's NO_KK)
    fam_lock: np.ndarray  # int8
    fam_size: np.ndarray  # int16
    registry: NikRegistry
    #: Dukcapil / DTSEN name overrides (person -> text) for planted names
    dukcapil_names: dict[int, str] = field(default_factory=dict)
    dtsen_names: dict[int, str] = field(default_factory=dict)
    #: people whose text is never given case or padding noise (their name changes are planted)
    plain_text: set[int] = field(default_factory=set)

    PERSON_FIELDS = (
        "fam", "nik", "kk", "sex", "dob", "stat_kwn", "occ", "birthplace", "kel",
        "street_prefix", "street", "house_no", "rt", "rw", "status", "event", "tok1", "tok2",
        "tok3", "in_dukcapil", "in_dtsen", "keberadaan", "kerja", "dtsen_kel", "rank_date",
        "role", "arrival",
    )  # fmt: skip
    FAMILY_FIELDS = ("fam_desil", "fam_pkh", "fam_kk", "fam_lock", "fam_size")

    @property
    def n(self) -> int:
        return len(self.nik)

    @property
    def n_families(self) -> int:
        return len(self.fam_desil)

    def desil(self, pids) -> np.ndarray:
        return self.fam_desil[self.fam[pids]]

    def occ_group(self, pids) -> np.ndarray:
        return occupation_groups()[self.occ[pids]]

    def append_people(self, **values: np.ndarray) -> np.ndarray:
        """Append people (every person field must be given); returns their ids."""
        missing = set(self.PERSON_FIELDS) - set(values)
        if missing:
            raise InvalidInput(f"append_people needs {sorted(missing)}")
        start = self.n
        for name in self.PERSON_FIELDS:
            old = getattr(self, name)
            setattr(self, name, np.concatenate([old, np.asarray(values[name], dtype=old.dtype)]))
        return np.arange(start, self.n)

    def append_families(self, **values: np.ndarray) -> np.ndarray:
        start = self.n_families
        for name in self.FAMILY_FIELDS:
            old = getattr(self, name)
            setattr(self, name, np.concatenate([old, np.asarray(values[name], dtype=old.dtype)]))
        return np.arange(start, self.n_families)

    def copy_people(self, pids: np.ndarray) -> dict[str, np.ndarray]:
        """The person fields of ``pids`` (copies), to build new people from."""
        return {name: getattr(self, name)[pids].copy() for name in self.PERSON_FIELDS}

    def set_nik(self, pid: int, new_nik: int) -> int:
        """Give a person another NIK (generation time only); returns the old one."""
        old = int(self.nik[pid])
        self.registry.remove(old)
        self.registry.add(new_nik)
        self.nik[pid] = new_nik
        return old


def kerja_for(rng: np.random.Generator, occ: np.ndarray) -> np.ndarray:
    """DTSEN STATUS_PEKERJAAN consistent with the Dukcapil occupation (0 = empty)."""
    group = occupation_groups()[occ]
    informal = rng.choice(
        np.array([1, 2, 6, 7, 8], np.int8), len(occ), p=[0.45, 0.1, 0.2, 0.15, 0.1]
    )
    out = np.where(group == FORMAL_G, 4, np.where(group == INFORMAL_G, informal, 0))
    out = np.where(occ == 2, 8, out)  # MENGURUS RUMAH TANGGA: unpaid family worker
    return out.astype(np.int8)


def draw_occupations(rng: np.random.Generator, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    n = len(age)
    worker = rng.choice(WORKER_CODES, n, p=WORKER_P)
    homemaker = (sex == 2) & (rng.random(n) < 0.4)
    worker = np.where(homemaker, 2, worker)
    u = rng.random(n)
    occ = worker.copy()
    occ = np.where(age < 5, 1, occ)
    occ = np.where((age >= 5) & (age < 18), np.where(u < 0.95, 3, 1), occ)
    occ = np.where((age >= 18) & (age < 23) & (u < 0.45), 3, occ)
    older = (age >= 57) & (age < 65)
    occ = np.where(older & (u < 0.15), 4, np.where(older & (u < 0.3), 1, occ))
    informal_only = rng.choice(CLEAN_INFORMAL, n, p=CLEAN_INFORMAL_P)
    elderly = age >= 65
    occ = np.where(elderly, np.where(u < 0.25, 4, np.where(u < 0.7, 1, informal_only)), occ)
    return occ.astype(np.int16)


def nik_prefixes(
    rng: np.random.Generator, home_kel: np.ndarray, ethnic: np.ndarray, city_share: np.ndarray
) -> np.ndarray:
    """Six-digit issuing kecamatan: mostly a Kota Bekasi kecamatan (usually the home one),
    otherwise a real kecamatan in the province the person's group typically comes from."""
    table = kelurahan_table()
    n = len(home_kel)
    city_kel = np.where(rng.random(n) < 0.7, home_kel, rng.integers(0, table.n_city, n))
    prefix = table.nik_prefix(city_kel)
    elsewhere = rng.random(n) >= city_share
    by_prov = kecamatan_by_province()
    for g, (group, _) in enumerate(ETHNIC_GROUPS):
        who = np.flatnonzero(elsewhere & (ethnic == g))
        if len(who) == 0:
            continue
        provs = np.array([p for p, _ in ORIGIN_PROVINCES[group]])
        weights = np.array([w for _, w in ORIGIN_PROVINCES[group]])
        chosen = rng.choice(provs, len(who), p=weights / weights.sum())
        for prov in np.unique(chosen):
            sel = who[chosen == prov]
            pool = by_prov[int(prov)]
            prefix[sel] = pool[rng.integers(0, len(pool), len(sel))]
    return prefix


def build_population(
    rng: np.random.Generator, residents: int, ref_first: date, dtsen_only_share: float = 0.004
) -> Population:
    """A city of about ``residents`` people in households of 1-6, plus a few former
    residents who are only in DTSEN (``in_dukcapil`` False)."""
    table = kelurahan_table()
    total = int(residents + round(residents * dtsen_only_share))
    size_p = np.array([0.13, 0.19, 0.23, 0.22, 0.14, 0.09])
    sizes = rng.choice(np.arange(1, 7), int(total / 3.2) + 10, p=size_p)
    cum = np.cumsum(sizes)
    n_fam = int(np.searchsorted(cum, total) + 1)
    sizes = sizes[:n_fam].copy()
    sizes[-1] -= int(cum[n_fam - 1] - total)
    fam = np.repeat(np.arange(n_fam, dtype=np.int32), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos = np.arange(total) - starts[fam]
    fsize = sizes[fam]

    # household roles: 0 head, 1 spouse, 2 child, 3 grandparent
    has_spouse = (sizes >= 2) & (rng.random(n_fam) < 0.85)
    role = np.full(total, 2, dtype=np.int8)
    role[pos == 0] = 0
    role[(pos == 1) & has_spouse[fam]] = 1
    grand = (fsize >= 4) & (pos == fsize - 1) & (rng.random(total) < 0.25)
    role[grand] = 3

    # ages: household head first, the rest relative to the head
    single = sizes == 1
    head_age = np.where(single, 18 + rng.gamma(2.2, 10.0, n_fam), 24 + rng.gamma(3.0, 7.0, n_fam))
    head_age = np.clip(head_age, 18, 92)
    h = head_age[fam]
    age = np.empty(total)
    age[role == 0] = h[role == 0]
    sp = role == 1
    age[sp] = np.clip(h[sp] + rng.normal(-3, 4, int(sp.sum())), 18, 92)
    ch = role == 2
    span = np.clip(h[ch] - 19, 1, 32)
    age[ch] = rng.random(int(ch.sum())) * span
    gp = role == 3
    age[gp] = np.clip(h[gp] + rng.uniform(22, 34, int(gp.sum())), 50, 98)
    ref_days = to_days(ref_first)
    dob = (ref_days - np.floor(age * 365.2425) - rng.integers(0, 365, total)).astype(np.int32)
    whole_age = age_at(dob, ref_first)

    # sex
    head_male = np.where(single, rng.random(n_fam) < 0.5, rng.random(n_fam) < 0.85)
    sex = np.where(rng.random(total) < 0.5, 1, 2).astype(np.int8)
    sex[role == 0] = np.where(head_male[fam[role == 0]], 1, 2)
    sex[sp] = np.where(head_male[fam[sp]], 2, 1)
    sex[gp] = np.where(rng.random(int(gp.sum())) < 0.6, 2, 1)

    stat_kwn = np.ones(total, dtype=np.int8)
    stat_kwn[(role == 0) & has_spouse[fam]] = 2
    stat_kwn[sp] = 2
    lone_head = (role == 0) & ~has_spouse[fam] & (whole_age >= 25)
    stat_kwn[lone_head] = rng.choice(
        np.array([1, 3, 4], np.int8), int(lone_head.sum()), p=[0.45, 0.2, 0.35]
    )
    stat_kwn[gp] = 4

    ethnic_p = np.array([w for _, w in ETHNIC_GROUPS])
    fam_ethnic = rng.choice(len(ETHNIC_GROUPS), n_fam, p=ethnic_p / ethnic_p.sum()).astype(np.int8)
    ethnic = fam_ethnic[fam]
    tok1, tok2, tok3 = assign_names(rng, ethnic, sex, fam, (role == 0) | (role == 2))

    # where households live: kelurahan with uneven populations
    kel_weights = rng.gamma(4.0, 1.0, table.n_city)
    fam_kel = rng.choice(table.n_city, n_fam, p=kel_weights / kel_weights.sum()).astype(np.int16)
    kel = fam_kel[fam]
    city_share = np.where(whole_age < 17, 0.97, 0.82)
    prefix6 = nik_prefixes(rng, kel, ethnic, city_share)
    prefix12 = prefix6 * 1_000_000 + nik_date_part(dob, sex)
    nik = unique_niks(rng, prefix12, None)
    registry = NikRegistry(nik)
    birthplace = birthplace_of(prefix6)

    # family cards: issuing kecamatan + issue date + serial, unique
    issue = rng.integers(to_days(date(2000, 1, 1)), to_days(ref_first) - 30, n_fam)
    kk_prefix12 = table.nik_prefix(fam_kel) * 1_000_000 + nik_date_part(issue, np.ones(n_fam))
    fam_kk = unique_niks(rng, kk_prefix12, None)

    occ = draw_occupations(rng, whole_age, sex)

    # DTSEN: household desil 1..10 about uniform, PKH mostly in desil 1-3
    fam_desil = rng.integers(1, 11, n_fam).astype(np.int8)
    pkh_p = np.array([0, 0.6, 0.45, 0.3, 0.08, 0.03, 0.01, 0.005, 0.002, 0.001, 0.0])
    fam_pkh = rng.random(n_fam) < pkh_p[fam_desil]
    keberadaan = rng.choice(
        np.array([1, 3, 4, 6, 2], np.int8), total, p=[0.965, 0.012, 0.005, 0.013, 0.005]
    )

    dtsen_only_fam = np.zeros(n_fam, dtype=bool)
    extra = total - residents
    if extra > 0:
        # whole households from the end until the extra people are covered
        back = np.cumsum(sizes[::-1])
        k = int(np.searchsorted(back, extra) + 1)
        dtsen_only_fam[n_fam - k :] = True
    in_dukcapil = ~dtsen_only_fam[fam]
    in_dtsen = rng.random(total) < 0.992
    in_dtsen |= ~in_dukcapil

    fam_street_prefix = rng.integers(0, len(STREET_PREFIXES), n_fam).astype(np.int8)
    fam_street = rng.integers(0, len(STREET_NAMES), n_fam).astype(np.int16)
    fam_house = rng.integers(1, 250, n_fam).astype(np.int16)
    fam_rt = rng.integers(1, 16, n_fam).astype(np.int16)
    fam_rw = rng.integers(1, 21, n_fam).astype(np.int16)

    return Population(
        fam=fam,
        nik=nik,
        kk=fam_kk[fam].copy(),
        sex=sex,
        dob=dob,
        stat_kwn=stat_kwn,
        occ=occ,
        birthplace=birthplace,
        kel=kel.copy(),
        street_prefix=fam_street_prefix[fam],
        street=fam_street[fam],
        house_no=fam_house[fam],
        rt=fam_rt[fam],
        rw=fam_rw[fam],
        status=np.zeros(total, dtype=np.int8),
        event=np.full(total, -1, dtype=np.int32),
        tok1=tok1,
        tok2=tok2,
        tok3=tok3,
        in_dukcapil=in_dukcapil,
        in_dtsen=in_dtsen,
        keberadaan=keberadaan,
        kerja=kerja_for(rng, occ),
        dtsen_kel=kel.copy(),
        rank_date=np.full(total, -1, dtype=np.int32),
        role=np.zeros(total, dtype=np.int8),
        arrival=np.zeros(total, dtype=np.int16),
        fam_desil=fam_desil,
        fam_pkh=fam_pkh,
        fam_kk=fam_kk,
        fam_lock=np.zeros(n_fam, dtype=np.int8),
        fam_size=sizes.astype(np.int16),
        registry=registry,
    )
