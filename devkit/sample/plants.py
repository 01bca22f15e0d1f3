"""Planted situations: every case of the rule book, each with its truth row.

A :class:`Planter` works on the population before the first period is written. It picks
people (a few random draws checked against the constraints, never a scan of the whole
population), sets the facts a situation needs, adds their BPJS rows and records the
expected outcome. Facts set here hold for every period of the sample; the only things
that change later are planted changes (:mod:`devkit.sample.evolution`), each recorded.

Construction rules that keep the truth exact:

* a person used by a situation is *clean* except for the planted facts: HIDUP in Kota
  Bekasi, in DTSEN and present, household desil 1-5, an INFORMAL occupation, aged well
  within 15-65 in every period;
* a household whose desil is set on purpose (``EXACT``) hosts no other participant or
  planted person; a household whose desil changes later is *sealed*;
* sharp ages are set relative to the first or the last period's reference date so they
  hold in every period (the sample spans at most 12 consecutive months);
* NIK look-alikes are checked by :meth:`Planter.guard`: for every participant whose NIK is
  not in Dukcapil, the Dukcapil records with the same birth date and a NIK at most two
  edits away (substitution or adjacent transposition) must be exactly the intended ones.
  All guards of every period are checked at generation time, when any look-alike can
  still be fixed (another NIK serial, or the situation planted again with other people),
  and again in each later period for the people who arrive in it;
* when a small city runs out of suitable households, a planted person moves to a
  household of their own (:meth:`Planter.pick`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from devkit.sample import names as nm
from devkit.sample.bpjs_list import (
    IURAN_JKK_JKM,
    IURAN_WITH_JHT,
    LAUNCH,
    UPAH,
    BpjsList,
    KpjAllocator,
    draw_kategori,
)
from devkit.sample.places import kelurahan_table
from devkit.sample.population import (
    CHANGE_TARGET,
    CITY_NONAKTIF,
    CLEAN_INFORMAL,
    CLEAN_INFORMAL_P,
    EXACT,
    FREE,
    HIDUP,
    INFORMAL_G,
    LOW,
    MATI,
    OTHER_PAYER,
    PARTICIPANT,
    PINDAH,
    PLANT,
    RESERVED,
    UNLOCKED,
    Population,
    age_at,
    age_of,
    kerja_for,
    nik_date_part,
    occupation_groups,
    to_days,
    unique_niks,
    years_before,
)
from devkit.sample.truth import (
    ENROLL_OR_WAITLIST,
    NONE,
    TOP_PRIORITY,
    NikGuard,
    ParticipantTruth,
    ResidentTruth,
    TruthBook,
    reasons_of,
)
from domain.codes import Reason
from domain.periods import reference_date
from domain.privacy import mask_nik

#: a household whose desil changes in a later period: nobody else in it may be used
SEALED = 3

R = Reason


#: a Dukcapil record with the guarded birth date, a NIK at most two edits from the typed one
#: and a name at least this similar is a look-alike (well below the 0.90 of the rules)
LOOK_ALIKE_SIMILARITY = 0.80
#: planned changes that make a person look different (birth date, name)
LOOK_CHANGES = frozenset(
    {"birth_date_changed", "name_changed", "name_changed_minor", "name_changed_major"}
)
#: rounds of fixes before :meth:`Planter.guard` gives up (each fixes all it found)
GUARD_ROUNDS = 30


class SampleTooSmall(ValueError):
    """The population cannot host the planted situations (use more residents)."""


@dataclass(frozen=True)
class PlannedChange:
    """A change planted for the step into period ``k`` (applied by the evolution)."""

    k: int
    pid: int
    kind: str
    kpj: int | None  # the participant's KPJ; None for a planted eligible resident


@dataclass(frozen=True)
class GuardedPlant:
    """A planted situation whose BPJS NIK is guarded (a typo, an unknown NIK...), kept so
    that it can be planted again at generation time."""

    pid: int  # the person the typed NIK was made from (a Dukcapil record or a ghost)
    replant: Callable[[], None]  # plants the same situation again, for the same period


@dataclass(frozen=True)
class LookAlikeCheck:
    """One guard to check in a period (see :meth:`Planter.guard`)."""

    guard: NikGuard
    label: str  # names the KPJ for messages (never a NIK or a name)
    plant: GuardedPlant | None  # the situation, when it can be planted again
    #: people whose birth date or name will change (look-alikes when within two edits)
    changing: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    disappearing: int | None = None  # the participant whose own NIK this is (DISAPPEARED)


def osa_distance(typed: str, others: np.ndarray) -> np.ndarray:
    """Edit distance with substitutions and adjacent transpositions between one 16-char
    string and an array of strings (``inf`` where either is not 16 characters long)."""
    out = np.full(len(others), np.inf)
    fits = np.array([len(o) == 16 for o in others], dtype=bool)
    if len(typed) != 16 or not fits.any():
        return out
    a = np.frombuffer(typed.encode("latin-1", "replace"), dtype=np.uint8)
    b = np.frombuffer(
        "".join(np.asarray(others)[fits]).encode("latin-1", "replace"), dtype=np.uint8
    )
    b = b.reshape(-1, 16)
    diff = b != a
    swaps = np.zeros(len(b), dtype=np.int64)
    used = np.zeros(len(b), dtype=bool)
    for i in range(15):
        swap = diff[:, i] & diff[:, i + 1] & (b[:, i] == a[i + 1]) & (b[:, i + 1] == a[i]) & ~used
        swaps += swap
        used = swap  # a position is in at most one transposition
    out[fits] = diff.sum(axis=1) - swaps
    return out


class Planter:
    """Plants every situation into the population, the BPJS list and the truth book."""

    def __init__(
        self,
        *,
        rng: np.random.Generator,
        pop: Population,
        bpjs: BpjsList,
        book: TruthBook,
        kpjs: KpjAllocator,
        periods: list[str],
        per_case: int,
    ) -> None:
        self.rng = rng
        self.pop = pop
        self.bpjs = bpjs
        self.book = book
        self.kpjs = kpjs
        self.periods = periods
        self.per_case = per_case
        self.refs = [reference_date(p) for p in periods]
        self.starts = [r.replace(day=1) for r in self.refs]
        self.ref_first, self.ref_last = self.refs[0], self.refs[-1]
        self.kel = kelurahan_table()
        #: truth to install at the start of a later period (a KPJ whose situation starts then)
        self.scheduled: dict[int, list[tuple[int, ParticipantTruth]]] = {}
        self.planned_changes: list[PlannedChange] = []
        #: guarded situations by the person their typed NIK was made from
        self.guarded_plants: dict[int, GuardedPlant] = {}
        self._pending_rows: list[dict] = []

    # ------------------------------------------------------------------------------
    # picking people

    def pick(
        self,
        *,
        ages: tuple[int, int] = (25, 55),
        need: str = "low",
        sex: int | None = None,
        solo: bool = False,
        role: int = PLANT,
    ) -> int:
        """A random FREE resident (HIDUP, in Dukcapil, generation-time) aged ``ages[0]`` at
        the first period to ``ages[1]`` at the last, whose household allows ``need``
        (``low``: desil can be 1-5; ``exact``: the household is untouched, its desil will be
        set). ``solo``: nobody else in the household can ever be in scope."""
        pop = self.pop
        # enough draws to see every resident many times over, then the fallback
        for _ in range(min(4000, max(100, pop.n // 8))):
            cand = self.rng.integers(0, pop.n, 256)
            ok = (
                pop.in_dukcapil[cand]
                & (pop.role[cand] == FREE)
                & (pop.arrival[cand] == 0)
                & (pop.status[cand] == HIDUP)
                & (pop.kel[cand] < self.kel.n_city)
            )
            ok &= (age_at(pop.dob[cand], self.ref_first) >= ages[0]) & (
                age_at(pop.dob[cand], self.ref_last) <= ages[1]
            )
            lock = pop.fam_lock[pop.fam[cand]]
            if need == "low":
                ok &= (
                    (lock == UNLOCKED)
                    | (lock == LOW)
                    | ((lock == EXACT) & (pop.fam_desil[pop.fam[cand]] <= 5))
                )
            else:
                ok &= lock == UNLOCKED
            if sex is not None:
                ok &= pop.sex[cand] == sex
            for pid in cand[ok].tolist():
                if solo and not self._solo(pid):
                    continue
                pop.role[pid] = role
                return int(pid)
        pid = self._own_household(ages, sex)
        if pid is not None:
            pop.role[pid] = role
            return pid
        raise SampleTooSmall(
            f"no resident left for a planted situation (ages {ages}, household {need}); "
            "generate more residents"
        )

    def _own_household(self, ages: tuple[int, int], sex: int | None) -> int | None:
        """When no household that suits the situation is left (a small city over many
        periods): a random FREE resident of any household, moved to a household of their own
        (a new family card, same address, the old desil until the situation sets one).
        Nobody else's facts change. ``None`` when there is no such resident either."""
        pop = self.pop
        ok = (
            pop.in_dukcapil & (pop.role == FREE) & (pop.arrival == 0) & (pop.status == HIDUP)
            & (pop.kel < self.kel.n_city)
            & (age_at(pop.dob, self.ref_first) >= ages[0])
            & (age_at(pop.dob, self.ref_last) <= ages[1])
        )  # fmt: skip
        if sex is not None:
            ok &= pop.sex == sex
        cand = np.flatnonzero(ok)
        if len(cand) == 0:
            return None
        pid = int(cand[self.rng.integers(0, len(cand))])
        old = pop.fam[pid]
        fam = self.new_household(desil=int(pop.fam_desil[old]), kel=int(pop.kel[pid]))
        pop.fam_lock[fam] = UNLOCKED
        pop.fam[pid] = fam
        pop.kk[pid] = pop.fam_kk[fam]
        pop.fam_size[old] -= 1
        return pid

    def _solo(self, pid: int) -> bool:
        """Make ``pid`` the only member of the household who can ever be in scope: every
        other member must be FREE; working-age ones are given an occupation that keeps them
        out (FORMAL, or student under 23) before the household is sealed. False when some
        other member is already used."""
        pop = self.pop
        if pop.fam_size[pop.fam[pid]] == 1:
            return True
        members = np.flatnonzero(pop.fam == pop.fam[pid])
        others = members[members != pid]
        if np.any(pop.role[others] != FREE) or np.any(pop.arrival[others] != 0):
            return False
        young = age_at(pop.dob[others], self.ref_last) <= 13
        old = age_at(pop.dob[others], self.ref_first) >= 67
        working = others[~(young | old)]
        student = age_at(pop.dob[working], self.ref_last) < 23
        pop.occ[working] = np.where(student, 3, 15)
        pop.kerja[working] = kerja_for(self.rng, pop.occ[working])
        return True

    def clean(self, pid: int, *, desil: int | None = None, lock: int = LOW) -> None:
        """Make a person clean: in DTSEN, present, INFORMAL occupation, household desil
        1-5 (or ``desil`` exactly, locking the household)."""
        pop = self.pop
        if occupation_groups()[pop.occ[pid]] != INFORMAL_G:
            pop.occ[pid] = self.rng.choice(CLEAN_INFORMAL, p=CLEAN_INFORMAL_P)
        pop.kerja[pid] = kerja_for(self.rng, pop.occ[pid : pid + 1])[0]
        pop.keberadaan[pid] = 1
        pop.in_dtsen[pid] = True
        f = pop.fam[pid]
        if desil is not None:
            pop.fam_desil[f] = desil
            pop.fam_lock[f] = max(lock, EXACT)
        elif pop.fam_lock[f] == UNLOCKED:
            if pop.fam_desil[f] > 5:
                pop.fam_desil[f] = self.rng.integers(1, 6)
            pop.fam_lock[f] = LOW

    def set_dob(self, pid: int, dob: date) -> None:
        """Set a birth date at generation time; the NIK's date part follows (same serial
        when free)."""
        pop = self.pop
        days = to_days(dob)
        prefix6 = int(pop.nik[pid]) // 10**10
        serial = int(pop.nik[pid]) % 10_000
        prefix12 = prefix6 * 10**6 + int(nik_date_part(np.array([days]), pop.sex[pid : pid + 1])[0])
        new = prefix12 * 10_000 + serial
        if new != pop.nik[pid] and pop.registry.contains(new):
            new = int(unique_niks(self.rng, np.array([prefix12]), pop.registry)[0])
        pop.dob[pid] = days
        if new != pop.nik[pid]:
            old = pop.set_nik(pid, new)
            self.bpjs.renik(pid, str(old), str(new))

    def ghost(self, ages: tuple[int, int] = (25, 55)) -> int:
        """A person absent from Dukcapil and DTSEN (a BPJS NIK that matches nobody), with
        a name and birth date of their own (no resident's look-alike)."""
        pop, rng = self.pop, self.rng
        src = int(rng.integers(0, pop.n))
        values = pop.copy_people(np.array([src]))
        other = int(rng.integers(0, pop.n))
        for name in ("tok1", "tok2", "tok3", "sex"):
            values[name][:] = getattr(pop, name)[other]
        age_days = int(rng.integers(ages[0] * 366 + 366, ages[1] * 365 - 366))
        values["dob"][:] = to_days(self.ref_first) - age_days
        values["kel"][:] = rng.integers(0, self.kel.n_city)
        prefix6 = self.kel.nik_prefix(values["kel"])
        prefix12 = prefix6 * 10**6 + nik_date_part(values["dob"], values["sex"])
        values["nik"] = unique_niks(rng, prefix12, pop.registry)
        values["in_dukcapil"][:] = False
        values["in_dtsen"][:] = False
        values["role"][:] = PLANT
        values["status"][:] = HIDUP
        values["event"][:] = -1
        pid = int(pop.append_people(**values)[0])
        pop.registry.add(pop.nik[pid])
        return pid

    def twin(self, pid: int, nik: int) -> int:
        """Another Dukcapil record with the same name, sex and birth date (own household,
        desil 8 so that it stays out of scope)."""
        pop = self.pop
        values = pop.copy_people(np.array([pid]))
        fam = self.new_household(desil=8, kel=int(self.rng.integers(0, self.kel.n_city)))
        values["fam"][:] = fam
        values["kk"][:] = pop.fam_kk[fam]
        values["nik"][:] = nik
        values["kel"][:] = self.rng.integers(0, self.kel.n_city)
        values["dtsen_kel"][:] = values["kel"]
        values["role"][:] = PLANT
        twin = int(pop.append_people(**values)[0])
        if pid in pop.dukcapil_names:
            pop.dukcapil_names[twin] = pop.dukcapil_names[pid]
        pop.registry.add(nik)
        return twin

    def new_household(self, *, desil: int, kel: int) -> int:
        pop = self.pop
        issue = to_days(date(2015, 1, 1)) + int(self.rng.integers(0, 3000))
        prefix12 = self.kel.nik_prefix(np.array([kel])) * 10**6 + nik_date_part(
            np.array([issue]), np.ones(1)
        )
        kk = unique_niks(self.rng, prefix12, pop.registry)
        pop.registry.add(kk)
        return int(
            pop.append_families(
                fam_desil=[desil], fam_pkh=[False], fam_kk=kk, fam_lock=[EXACT], fam_size=[1]
            )[0]
        )

    def name_of(self, pid: int) -> str:
        pop = self.pop
        if pid in pop.dukcapil_names:
            return pop.dukcapil_names[pid]
        return nm.render_one(int(pop.tok1[pid]), int(pop.tok2[pid]), int(pop.tok3[pid]))

    # ------------------------------------------------------------------------------
    # BPJS rows

    def default_aktif(self, k: int) -> date:
        """TGL_AKTIF of a KPJ first listed in period ``k``: in period 0 the city's existing
        participants (mostly before SIGAP, many on the launch day), later a date in ``k``."""
        if k > 0:
            return self.starts[k] + timedelta(days=int(self.rng.integers(0, self.refs[k].day)))
        u = self.rng.random()
        if u < 0.75:
            d = date(2021, 1, 4) + timedelta(
                days=int(self.rng.integers(0, (LAUNCH - date(2021, 1, 4)).days))
            )
        elif u < 0.97:
            d = LAUNCH
        else:
            d = LAUNCH + timedelta(days=int(self.rng.integers(1, 200)))
        return min(d, self.ref_first - timedelta(days=1))

    def add_kpj(
        self,
        pid: int,
        k: int,
        *,
        nik: str | None = None,
        nama: str | None = None,
        dob: int | None = None,
        aktif: date | None = None,
        sumber: str = "APBD_KOTA",
        status: str = "AKTIF",
        bulan: str = "",
        kategori: str | None = None,
        upah: int = UPAH,
        iuran: int | None = None,
        paid_offset: int | None = None,
    ) -> int:
        pop = self.pop
        aktif = aktif or self.default_aktif(k)
        if aktif > self.refs[k]:
            raise RuntimeError("TGL_AKTIF after the period it is first listed in")
        if kategori is None:
            kategori = str(
                draw_kategori(
                    self.rng,
                    1,
                    np.array([aktif < LAUNCH and sumber == "APBD_KOTA"]),
                    pop.sex[pid : pid + 1],
                )[0]
            )
        program = "JKK+JKM"
        if sumber == "MANDIRI" and self.rng.random() < 0.3:
            program = "JKK+JKM+JHT"
        if status == "NONAKTIF" and not bulan:
            last = min(
                self.starts[0] - timedelta(days=1),
                aktif + timedelta(days=int(self.rng.integers(31, 900))),
            )
            last = max(last, aktif)
            bulan = f"{last.year}-{last.month:02d}"
        kpj = self.kpjs.one(aktif.year)
        self._pending_rows.append(
            {
                "kpj": kpj,
                "pid": pid,
                "nik": str(pop.nik[pid]) if nik is None else nik,
                "nama": self.name_of(pid) if nama is None else nama,
                "dob": int(pop.dob[pid]) if dob is None else dob,
                "kategori": kategori,
                "program": program,
                "upah": upah,
                "iuran": iuran
                if iuran is not None
                else (IURAN_WITH_JHT if program == "JKK+JKM+JHT" else IURAN_JKK_JKM),
                "sumber": sumber,
                "aktif": to_days(aktif),
                "status": status,
                "bulan": bulan,
                "first": k,
                "paid_offset": pd.NA if paid_offset is None else paid_offset,
            }
        )
        return kpj

    def flush(self) -> None:
        if self._pending_rows:
            self.bpjs.add(pd.DataFrame(self._pending_rows))
            self._pending_rows = []

    def expect(self, kpj: int, truth: ParticipantTruth, k: int) -> None:
        if k == 0:
            self.book.participants[kpj] = truth
        else:
            self.scheduled.setdefault(k, []).append((kpj, truth))

    def resident(self, pid: int, case: str, expected: str) -> None:
        self.book.residents.append(ResidentTruth(pid, case, expected))

    # ------------------------------------------------------------------------------
    # participants

    def deceased(self, variant: str) -> None:
        k = 0
        pid = self.pick()
        self.clean(pid)
        start, ref = self.starts[0], self.refs[0]
        self.pop.status[pid] = MATI
        paid_offset = None
        if variant == "paid_ahead":
            # the city paid months ahead, past the month of death (the money view's
            # "billed after death"); DECEASED as for "after"
            paid_offset = int(self.rng.integers(1, 4))
        if variant == "before":
            death = start + timedelta(days=int(self.rng.integers(0, ref.day - 1)))
            aktif = death + timedelta(days=1)
            reasons = reasons_of(R.DECEASED)
        else:
            death = start + timedelta(days=int(self.rng.integers(0, ref.day)))
            aktif = death if variant == "on_day" else min(self.default_aktif(0), death)
            reasons = reasons_of(R.DECEASED, R.JKM_CLAIM_ALERT)
        self.pop.event[pid] = to_days(death)
        kpj = self.add_kpj(pid, k, aktif=aktif, paid_offset=paid_offset)
        case = "deceased_paid_ahead" if variant == "paid_ahead" else f"deceased_{variant}_aktif"
        self.expect(kpj, ParticipantTruth(reasons, case, stable=False), k)

    def money(self, variant: str) -> None:
        """A clean participant (KEEP) in a situation of the money view (PROGRAM.md,
        "Money"), which changes no decision: a contribution other than Rp16,800 (a higher
        declared income), or a last month paid two to four months before the period
        (arrears, in every period)."""
        pid = self.pick()
        self.clean(pid)
        if variant == "iuran_different":
            # JKK 1% of Rp1,500,000 + JKM Rp6,800
            kpj = self.add_kpj(pid, 0, upah=1_500_000, iuran=21_800)
        else:
            kpj = self.add_kpj(pid, 0, paid_offset=-int(self.rng.integers(2, 5)))
        self.expect(kpj, ParticipantTruth((), f"money_{variant}"), 0)

    def moved_out(self, variant: str) -> None:
        pid = self.pick()
        self.clean(pid)
        stable = True
        if variant == "pindah":
            self.pop.status[pid] = PINDAH
            self.pop.event[pid] = to_days(
                self.starts[0] + timedelta(days=int(self.rng.integers(0, self.refs[0].day)))
            )
            stable = False
        elif variant == "kabupaten":
            self.pop.kel[pid] = self.rng.choice(self.kel.kab_bekasi)
        else:
            self.pop.kel[pid] = self.rng.choice(self.kel.jakarta_timur)
        kpj = self.add_kpj(pid, 0)
        self.expect(
            kpj, ParticipantTruth(reasons_of(R.MOVED_OUT), f"moved_out_{variant}", stable=stable), 0
        )

    def _check_ages(self, pid: int, k: int, low: int, high: int) -> None:
        for ref in self.refs[k:]:
            a = age_of(int(self.pop.dob[pid]), ref)
            if not low <= a <= high:
                raise RuntimeError(
                    f"planted age {a} outside {low}-{high} at {ref}"
                )  # pragma: no cover

    def age(self, variant: str, k: int = 0) -> None:
        pid = self.pick(ages=(40, 64))
        self.clean(pid)
        if variant == "66_on_last_day":
            self.set_dob(pid, years_before(self.refs[k], 66))
            self._check_ages(pid, k, 66, 200)
            reasons, case = reasons_of(R.AGE_ABOVE_LIMIT), "age_66_on_last_day"
        elif variant == "old":
            self.set_dob(
                pid,
                years_before(self.ref_first, int(self.rng.integers(67, 76)))
                - timedelta(days=int(self.rng.integers(1, 300))),
            )
            self._check_ages(pid, k, 66, 200)
            reasons, case = reasons_of(R.AGE_ABOVE_LIMIT), "age_above_limit"
        elif variant == "65_until_last_day":
            self.set_dob(pid, years_before(self.ref_last + timedelta(days=1), 66))
            self._check_ages(pid, 0, 65, 65)
            reasons, case = (), "age_65_on_last_day"
        else:  # turned 65 on the last day of the period
            self.set_dob(pid, years_before(self.refs[k], 65))
            self._check_ages(pid, k, 65, 65)
            reasons, case = (), "age_turned_65_on_last_day"
        stable = bool(reasons)
        kpj = self.add_kpj(pid, k)
        self.expect(kpj, ParticipantTruth(reasons, case, stable=stable), k)

    def duplicate(self, variant: str, k: int = 0) -> None:
        pid = self.pick()
        self.clean(pid)
        ref = self.refs[0]
        if variant == "later":
            a = min(self.default_aktif(0), ref - timedelta(days=2))
            kept = self.add_kpj(pid, 0, aktif=a)
            b = (
                min(a + timedelta(days=int(self.rng.integers(1, 300))), ref)
                if k == 0
                else self.default_aktif(k)
            )
            later = self.add_kpj(pid, k, aktif=b)
            self.expect(kept, ParticipantTruth((), "duplicate_kept"), k)
            self.expect(
                later, ParticipantTruth(reasons_of(R.DUPLICATE_ENROLLMENT), "duplicate_later"), k
            )
        elif variant == "tie":
            a = min(self.default_aktif(0), ref)
            one, two = sorted([self.add_kpj(pid, 0, aktif=a), self.add_kpj(pid, 0, aktif=a)])
            self.expect(one, ParticipantTruth((), "duplicate_tie_lowest_kpj"), 0)
            self.expect(
                two,
                ParticipantTruth(reasons_of(R.DUPLICATE_ENROLLMENT), "duplicate_tie_higher_kpj"),
                0,
            )
        elif variant == "triple":
            a = min(self.default_aktif(0), ref - timedelta(days=2))
            kept = self.add_kpj(pid, 0, aktif=a)
            self.expect(kept, ParticipantTruth((), "duplicate_triple_kept"), 0)
            for _ in range(2):
                b = min(a + timedelta(days=int(self.rng.integers(1, 300))), ref)
                kpj = self.add_kpj(pid, 0, aktif=b)
                self.expect(
                    kpj,
                    ParticipantTruth(reasons_of(R.DUPLICATE_ENROLLMENT), "duplicate_triple_later"),
                    0,
                )
        else:  # a NONAKTIF city KPJ with the same NIK is not a duplicate
            self.add_kpj(
                pid,
                0,
                status="NONAKTIF",
                aktif=date(2022, 3, 1) + timedelta(days=int(self.rng.integers(0, 600))),
            )
            kpj = self.add_kpj(pid, 0)
            self.expect(kpj, ParticipantTruth((), "duplicate_with_nonaktif_keep"), 0)

    def nik_not_found(self, variant: str, k: int = 0) -> None:
        g = self.ghost()
        digits = str(self.pop.nik[g])
        if variant == "unknown":
            typed = digits
        elif variant == "malformed_15_digits":
            i = int(self.rng.integers(6, 16))
            typed = digits[:i] + digits[i + 1 :]
        elif variant == "malformed_letters":
            i = int(self.rng.integers(12, 16))
            typed = digits[:i] + {"0": "O", "1": "I"}.get(digits[i], "O") + digits[i + 1 :]
        elif variant == "malformed_spaces":
            typed = f"{digits[:6]} {digits[6:12]} {digits[12:]}"
        else:  # empty
            typed = ""
        kpj = self.add_kpj(g, k, nik=typed)
        guard = NikGuard(typed, int(self.pop.dob[g]), self.name_of(g))
        self.expect(
            kpj, ParticipantTruth(reasons_of(R.NIK_NOT_FOUND), f"nik_{variant}", guard=guard), k
        )
        self._track(g, lambda: self.nik_not_found(variant, k))

    def _typo_nik(self, nik: str, variant: str) -> str:
        """A typed NIK ``variant`` away from ``nik`` that no one has."""
        for _ in range(200):
            chars = list(nik)
            if variant == "transposition":
                spots = [i for i in range(6, 15) if chars[i] != chars[i + 1]]
                i = spots[int(self.rng.integers(0, len(spots)))]
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
            else:
                n_sub = {"one": 1, "two": 2, "three": 3}[variant]
                for i in self.rng.choice(np.arange(6, 16), n_sub, replace=False):
                    chars[i] = str((int(chars[i]) + int(self.rng.integers(1, 10))) % 10)
            typed = "".join(chars)
            expected = {"transposition": 1, "one": 1, "two": 2, "three": 3}[variant]
            if osa_distance(typed, np.array([nik]))[0] != expected:
                continue
            if not self.pop.registry.contains(int(typed)):
                self.pop.registry.add(int(typed))
                return typed
        raise RuntimeError("could not draw a typo NIK")  # pragma: no cover

    def typo(self, variant: str, k: int = 0) -> None:
        pid = self.pick()
        self.clean(pid)
        nik, name, dob = str(self.pop.nik[pid]), self.name_of(pid), int(self.pop.dob[pid])
        bpjs_name, bpjs_dob = name, dob
        suggested = ""
        reasons = reasons_of(R.NIK_NOT_FOUND)
        intended: tuple[tuple[int, str], ...] = ()
        if variant in ("one_substitution", "two_substitutions", "transposition", "name_variation"):
            kind = {
                "one_substitution": "one",
                "two_substitutions": "two",
                "transposition": "transposition",
                "name_variation": "one",
            }[variant]
            typed = self._typo_nik(nik, kind)
            if variant == "name_variation":
                bpjs_name = nm.tiny_variation(name, self.rng)
            reasons, suggested, intended = reasons_of(R.NIK_PROBABLE_TYPO), nik, ((pid, "match"),)
        elif variant == "three_edits":
            typed = self._typo_nik(nik, "three")
        elif variant == "two_candidates":
            typed, twin_nik = self._two_candidates(nik)
            twin = self.twin(pid, twin_nik)
            intended = ((pid, "match"), (twin, "match"))
        elif variant == "name_below_threshold":
            bpjs_name = nm.near_miss_variation(name, self.rng)
            if bpjs_name is None:  # a name too short to vary finely: use another person
                self.pop.role[pid] = FREE
                return self.typo(variant, k)
            typed = self._typo_nik(nik, "one")
            intended = ((pid, "below"),)
        else:  # birth_date_differs: same NIK look-alike, another birth date
            typed = self._typo_nik(nik, "one")
            bpjs_dob = dob + int(self.rng.integers(1, 40))
        kpj = self.add_kpj(pid, k, nik=typed, nama=bpjs_name, dob=bpjs_dob)
        guard = NikGuard(typed, bpjs_dob, bpjs_name, intended)
        self.expect(kpj, ParticipantTruth(reasons, f"typo_{variant}", suggested, guard=guard), k)
        self._track(pid, lambda: self.typo(variant, k))

    def _two_candidates(self, nik: str) -> tuple[str, int]:
        """A typed NIK one substitution from ``nik`` and from a new twin's NIK."""
        last = int(nik[-1])
        others = [d for d in range(10) if d != last and not (nik[-4:-1] == "000" and d == 0)]
        self.rng.shuffle(others)
        for i in range(len(others)):
            for j in range(len(others)):
                if i == j:
                    continue
                typed, twin = nik[:-1] + str(others[i]), int(nik[:-1] + str(others[j]))
                if not self.pop.registry.contains(int(typed)) and not self.pop.registry.contains(
                    twin
                ):
                    self.pop.registry.add(int(typed))
                    return typed, twin
        raise RuntimeError("no free serial for a twin")  # pragma: no cover

    def identity(self, variant: str, k: int = 0) -> None:
        pid = self.pick()
        self.clean(pid)
        name, sex, dob = self.name_of(pid), int(self.pop.sex[pid]), int(self.pop.dob[pid])
        bpjs_name, bpjs_dob, reasons = name, dob, reasons_of(R.IDENTITY_MISMATCH)
        if variant == "birth_date_differs":
            bpjs_dob = dob + int(self.rng.choice([-1, 1])) * int(self.rng.integers(1, 400))
        elif variant == "name_differs":
            bpjs_name = nm.different_name(name, sex, self.rng)
        elif variant == "titles_only":
            bpjs_name, reasons = nm.with_titles(name, sex, self.rng), ()
        else:  # tiny_name_variation
            bpjs_name, reasons = nm.tiny_variation(name, self.rng), ()
        kpj = self.add_kpj(pid, k, nama=bpjs_name, dob=bpjs_dob)
        self.expect(kpj, ParticipantTruth(reasons, f"identity_{variant}"), k)

    def dtsen(self, variant: str, k: int = 0) -> None:
        exact = {
            "desil_above_limit": int(self.rng.integers(7, 11)),
            "desil_6": 6,
            "desil_5_keep": 5,
        }
        pid = self.pick(need="exact" if variant in exact else "low")
        self.clean(pid, desil=exact.get(variant))
        reasons: tuple[str, ...] = ()
        if variant == "not_in_dtsen":
            self.pop.in_dtsen[pid] = False
            reasons = reasons_of(R.NOT_IN_DTSEN)
        elif variant in ("desil_above_limit", "desil_6"):
            reasons = reasons_of(R.DESIL_ABOVE_LIMIT)
        elif variant == "reported_deceased":
            self.pop.keberadaan[pid] = 2
            reasons = reasons_of(R.REPORTED_DECEASED)
        elif variant == "keberadaan_not_present_keep":
            self.pop.keberadaan[pid] = self.rng.choice([3, 4, 6])
        kpj = self.add_kpj(pid, k)
        self.expect(
            kpj,
            ParticipantTruth(reasons, variant if variant.endswith("keep") else f"dtsen_{variant}"),
            k,
        )

    def occupation(self, variant: str, k: int = 0) -> None:
        pid = self.pick()
        self.clean(pid)
        if variant == "formal":
            self.pop.occ[pid] = self.rng.choice([15, 15, 15, 5, 16, 17, 6, 7])
            reasons, case = reasons_of(R.FORMAL_OCCUPATION), "formal_occupation"
        else:
            self.pop.occ[pid] = 1
            reasons, case = (), "tidak_bekerja_participant_keep"
        self.pop.kerja[pid] = kerja_for(self.rng, self.pop.occ[pid : pid + 1])[0]
        kpj = self.add_kpj(pid, k)
        self.expect(kpj, ParticipantTruth(reasons, case), k)

    def double_funded(self, payer: str, k: int = 0, *, active: bool = True) -> None:
        pid = self.pick()
        self.clean(pid)
        self.add_kpj(
            pid,
            k,
            sumber=payer,
            status="AKTIF" if active else "NONAKTIF",
            aktif=date(2023, 1, 2) + timedelta(days=int(self.rng.integers(0, 900))),
        )
        kpj = self.add_kpj(pid, k)
        if active:
            truth = ParticipantTruth(reasons_of(R.DOUBLE_FUNDED), f"double_funded_{payer.lower()}")
        else:
            truth = ParticipantTruth((), f"{payer.lower()}_nonaktif_keep")
        self.expect(kpj, truth, k)

    def combination(self, variant: str) -> None:
        k = 0
        if variant == "deceased_and_desil":
            pid = self.pick(need="exact")
            self.clean(pid, desil=8)
            death = self.starts[0] + timedelta(days=int(self.rng.integers(0, self.refs[0].day)))
            self.pop.status[pid], self.pop.event[pid] = MATI, to_days(death)
            kpj = self.add_kpj(pid, k, aktif=min(self.default_aktif(0), death))
            truth = ParticipantTruth(
                reasons_of(R.DECEASED, R.DESIL_ABOVE_LIMIT, R.JKM_CLAIM_ALERT),
                variant,
                stable=False,
            )
            self.expect(kpj, truth, k)
        elif variant in ("not_found_and_double_funded", "not_found_duplicate"):
            g = self.ghost()
            typed = str(self.pop.nik[g])
            guard = NikGuard(typed, int(self.pop.dob[g]), self.name_of(g))
            self._track(g, lambda: self.combination(variant))
            if variant == "not_found_and_double_funded":
                self.add_kpj(g, k, nik=typed, sumber="MANDIRI")
                kpj = self.add_kpj(g, k, nik=typed)
                self.expect(
                    kpj,
                    ParticipantTruth(
                        reasons_of(R.NIK_NOT_FOUND, R.DOUBLE_FUNDED), variant, guard=guard
                    ),
                    k,
                )
            else:
                a = min(self.default_aktif(0), self.refs[0] - timedelta(days=2))
                kept = self.add_kpj(g, k, nik=typed, aktif=a)
                later = self.add_kpj(
                    g, k, nik=typed, aktif=a + timedelta(days=int(self.rng.integers(1, 3)))
                )
                self.expect(
                    kept,
                    ParticipantTruth(
                        reasons_of(R.NIK_NOT_FOUND), "not_found_duplicate_kept", guard=guard
                    ),
                    k,
                )
                self.expect(
                    later,
                    ParticipantTruth(
                        reasons_of(R.NIK_NOT_FOUND, R.DUPLICATE_ENROLLMENT),
                        "not_found_duplicate_later",
                        guard=guard,
                    ),
                    k,
                )
        elif variant == "typo_and_double_funded":
            pid = self.pick()
            self.clean(pid)
            nik = str(self.pop.nik[pid])
            typed = self._typo_nik(nik, "one")
            self.add_kpj(pid, k, nik=typed, sumber="MANDIRI")
            kpj = self.add_kpj(pid, k, nik=typed)
            guard = NikGuard(typed, int(self.pop.dob[pid]), self.name_of(pid), ((pid, "match"),))
            self._track(pid, lambda: self.combination(variant))
            truth = ParticipantTruth(
                reasons_of(R.NIK_PROBABLE_TYPO, R.DOUBLE_FUNDED), variant, nik, guard=guard
            )
            self.expect(kpj, truth, k)
        elif variant == "age_and_formal":
            pid = self.pick(ages=(40, 64))
            self.clean(pid)
            self.set_dob(
                pid,
                years_before(self.ref_first, 70) - timedelta(days=int(self.rng.integers(1, 300))),
            )
            self.pop.occ[pid] = 15
            kpj = self.add_kpj(pid, k)
            self.expect(
                kpj,
                ParticipantTruth(reasons_of(R.AGE_ABOVE_LIMIT, R.FORMAL_OCCUPATION), variant),
                k,
            )
        elif variant == "desil_and_formal":
            pid = self.pick(need="exact")
            self.clean(pid, desil=9)
            self.pop.occ[pid] = 15
            kpj = self.add_kpj(pid, k)
            self.expect(
                kpj,
                ParticipantTruth(reasons_of(R.DESIL_ABOVE_LIMIT, R.FORMAL_OCCUPATION), variant),
                k,
            )
        elif variant == "moved_out_and_not_in_dtsen":
            pid = self.pick()
            self.clean(pid)
            self.pop.kel[pid] = self.rng.choice(self.kel.kab_bekasi)
            self.pop.in_dtsen[pid] = False
            kpj = self.add_kpj(pid, k)
            self.expect(kpj, ParticipantTruth(reasons_of(R.MOVED_OUT, R.NOT_IN_DTSEN), variant), k)
        else:  # identity_and_desil
            pid = self.pick(need="exact")
            self.clean(pid, desil=7)
            kpj = self.add_kpj(pid, k, dob=int(self.pop.dob[pid]) + int(self.rng.integers(30, 400)))
            self.expect(
                kpj,
                ParticipantTruth(reasons_of(R.IDENTITY_MISMATCH, R.DESIL_ABOVE_LIMIT), variant),
                k,
            )

    # ------------------------------------------------------------------------------
    # residents (non-participants), all from the first period on

    def resident_case(self, variant: str) -> None:
        exact = {"eligible_desil_5": 5, "eligible_top_priority": 1, "desil_6": 6}
        ages = {
            "eligible_age_15": (8, 30),
            "too_young_14": (8, 30),
            "too_old_66": (45, 64),
            "eligible_age_65": (45, 64),
            "eligible_top_priority": (45, 64),
        }.get(variant, (25, 55))
        pid = self.pick(ages=ages, need="exact" if variant in exact else "low")
        self.clean(pid, desil=exact.get(variant))
        pop = self.pop
        expected = NONE
        after_last = self.ref_last + timedelta(days=1)
        if variant == "eligible_clean" or variant == "eligible_desil_5":
            expected = ENROLL_OR_WAITLIST
        elif variant == "eligible_age_15":
            self.set_dob(pid, years_before(self.ref_first, 15))
            self._check_ages(pid, 0, 15, 15)
            expected = ENROLL_OR_WAITLIST
        elif variant == "eligible_age_65":
            self.set_dob(pid, years_before(after_last, 66))
            self._check_ages(pid, 0, 65, 65)
            expected = ENROLL_OR_WAITLIST
        elif variant == "eligible_top_priority":
            pop.fam_pkh[pop.fam[pid]] = True
            self.set_dob(pid, years_before(after_last, 66))
            self._check_ages(pid, 0, 65, 65)
            expected = TOP_PRIORITY
        elif variant == "eligible_city_nonaktif":
            self.add_kpj(
                pid,
                0,
                status="NONAKTIF",
                aktif=date(2022, 1, 3) + timedelta(days=int(self.rng.integers(0, 900))),
            )
            expected = ENROLL_OR_WAITLIST
        elif variant == "eligible_other_payer_nonaktif":
            self.add_kpj(
                pid,
                0,
                sumber="MANDIRI",
                status="NONAKTIF",
                aktif=date(2022, 1, 3) + timedelta(days=int(self.rng.integers(0, 900))),
            )
            expected = ENROLL_OR_WAITLIST
        elif variant == "too_young_14":
            self.set_dob(pid, years_before(after_last, 15))
            self._check_ages(pid, 0, 14, 14)
        elif variant == "too_old_66":
            self.set_dob(pid, years_before(self.ref_first, 66))
            self._check_ages(pid, 0, 66, 66)
        elif variant == "formal_occupation":
            pop.occ[pid] = self.rng.choice([15, 5, 16])
        elif variant == "tidak_bekerja":
            pop.occ[pid] = self.rng.choice([1, 3, 4])
        elif variant.startswith("keberadaan_"):
            pop.keberadaan[pid] = int(variant.rsplit("_", 1)[1])
        elif variant in ("status_mati", "status_pindah"):
            pop.status[pid] = MATI if variant == "status_mati" else PINDAH
            pop.event[pid] = to_days(
                self.starts[0] + timedelta(days=int(self.rng.integers(0, self.refs[0].day)))
            )
        elif variant == "domicile_kabupaten":
            pop.kel[pid] = self.rng.choice(self.kel.kab_bekasi)
        elif variant.startswith("covered_"):
            payer = variant.removeprefix("covered_").upper()
            self.add_kpj(
                pid,
                0,
                sumber=payer,
                aktif=date(2023, 5, 2) + timedelta(days=int(self.rng.integers(0, 700))),
            )
        elif variant == "not_in_dtsen":
            pop.in_dtsen[pid] = False
        elif variant != "desil_6":
            raise InvalidInput(f"unknown resident case {variant}")
        pop.kerja[pid] = kerja_for(self.rng, pop.occ[pid : pid + 1])[0]
        case = variant if variant.startswith("eligible") else f"not_in_scope_{variant}"
        self.resident(pid, case, expected)

    # ------------------------------------------------------------------------------
    # targets of planted changes (chosen now, changed when period k starts)

    PARTICIPANT_CHANGES = (
        "died", "moved_out_pindah", "moved_out_kabupaten", "moved_within_city", "kk_changed",
        "name_changed_minor", "name_changed_major", "birth_date_changed", "desil_changed_above",
        "desil_changed_within", "occupation_changed_formal", "occupation_changed_informal",
        "occupation_changed_tidak_bekerja", "disappeared_dtsen", "disappeared_dukcapil",
    )  # fmt: skip
    RESIDENT_CHANGES = (
        "moved_within_city", "kk_changed", "name_changed", "birth_date_changed",
        "desil_changed_within", "occupation_changed_informal",
    )  # fmt: skip

    def change_target(self, k: int, kind: str, *, participant: bool) -> None:
        desil_change = kind.startswith("desil_changed")
        while True:
            pid = self.pick(
                need="exact" if desil_change else "low", solo=desil_change, role=CHANGE_TARGET
            )
            if (
                kind in ("name_changed", "name_changed_minor")
                and nm.respelling(self.name_of(pid), self.rng) is None
            ):
                continue  # keeps the role: this person is simply not used for anything
            break
        if desil_change:
            self.clean(pid, desil=int(self.rng.integers(1, 5)), lock=SEALED)
        else:
            self.clean(pid)
        self.pop.plain_text.add(pid)
        kpj = None
        if participant:
            kpj = self.add_kpj(pid, 0)
        else:
            self.resident(pid, "eligible_clean", ENROLL_OR_WAITLIST)
        self.planned_changes.append(PlannedChange(k, pid, kind, kpj))

    # ------------------------------------------------------------------------------
    # everything

    def plant_all(self) -> None:
        """Every situation of the rule book, ``per_case`` times each (some once), in the
        first period; a subset again as new KPJs in each later period; and the targets of
        every planted change for each later period."""
        n = self.per_case
        later = max(1, n // 3)
        for _ in range(n):
            for v in ("after", "on_day", "before"):
                self.deceased(v)
            for v in ("pindah", "kabupaten", "jakarta"):
                self.moved_out(v)
            for v in ("66_on_last_day", "old", "65_until_last_day", "turned_65"):
                self.age(v)
            for v in ("later", "tie", "triple", "nonaktif"):
                self.duplicate(v)
            for v in ("unknown", "malformed_15_digits", "malformed_letters", "malformed_spaces"):
                self.nik_not_found(v)
            for v in (
                "one_substitution",
                "two_substitutions",
                "transposition",
                "name_variation",
                "three_edits",
                "two_candidates",
                "name_below_threshold",
                "birth_date_differs",
            ):
                self.typo(v)
            for v in ("birth_date_differs", "name_differs", "titles_only", "tiny_name_variation"):
                self.identity(v)
            for v in (
                "not_in_dtsen",
                "desil_above_limit",
                "desil_6",
                "desil_5_keep",
                "reported_deceased",
                "keberadaan_not_present_keep",
            ):
                self.dtsen(v)
            for v in ("formal", "tidak_bekerja"):
                self.occupation(v)
            for payer in ("MANDIRI", "APBD_PROV", "CSR"):
                self.double_funded(payer)
            self.double_funded("MANDIRI", active=False)
            for v in (
                "deceased_and_desil",
                "not_found_and_double_funded",
                "not_found_duplicate",
                "typo_and_double_funded",
                "age_and_formal",
                "desil_and_formal",
                "moved_out_and_not_in_dtsen",
                "identity_and_desil",
            ):
                self.combination(v)
            for v in (
                "eligible_clean",
                "eligible_clean",
                "eligible_desil_5",
                "eligible_age_15",
                "eligible_age_65",
                "eligible_top_priority",
                "eligible_city_nonaktif",
                "eligible_other_payer_nonaktif",
                "too_young_14",
                "too_old_66",
                "desil_6",
                "formal_occupation",
                "tidak_bekerja",
                "keberadaan_2",
                "keberadaan_3",
                "keberadaan_4",
                "keberadaan_6",
                "status_mati",
                "status_pindah",
                "domicile_kabupaten",
                "covered_mandiri",
                "covered_apbd_prov",
                "covered_csr",
                "not_in_dtsen",
            ):
                self.resident_case(v)
            # the money view's situations (last: the draws above stay as they were)
            self.deceased("paid_ahead")
            for v in ("iuran_different", "arrears"):
                self.money(v)
        self.nik_not_found("empty")  # once: two empty NIKs would be the "same NIK"
        for k in range(1, len(self.periods)):
            for _ in range(later):
                self.age("66_on_last_day", k)
                self.duplicate("later", k)
                self.nik_not_found("unknown", k)
                for v in ("one_substitution", "transposition", "two_candidates"):
                    self.typo(v, k)
                self.identity("birth_date_differs", k)
                for v in ("not_in_dtsen", "desil_above_limit", "reported_deceased"):
                    self.dtsen(v, k)
                self.occupation("formal", k)
                self.double_funded("MANDIRI", k)
            for _ in range(max(1, n // 2)):
                for kind in self.PARTICIPANT_CHANGES:
                    self.change_target(k, kind, participant=True)
                for kind in self.RESIDENT_CHANGES:
                    self.change_target(k, kind, participant=False)
        self.flush()

    # ------------------------------------------------------------------------------
    # the background

    def fill_background(self, target_rows: int, new_per_period: int) -> None:
        """Clean participants, other payers' rows and former participants until the first
        period's list has about ``target_rows`` rows; reserve clean residents for each later
        period's new enrolments."""
        pop, rng = self.pop, self.rng
        planted = len(self.bpjs.visible(0))
        rest = max(target_rows - planted, 0)
        n_city = round(rest * 0.86 * 0.96)
        n_city_non = round(rest * 0.86 * 0.04)
        n_mandiri = round(rest * 0.09)
        n_prov = round(rest * 0.03)
        n_csr = max(rest - n_city - n_city_non - n_mandiri - n_prov, 0)
        n_reserve = new_per_period * (len(self.periods) - 1)

        age_first = age_at(pop.dob, self.ref_first)
        age_last = age_at(pop.dob, self.ref_last)
        lock = pop.fam_lock[pop.fam]
        desil = pop.fam_desil[pop.fam]
        base = pop.in_dukcapil & (pop.role == FREE) & (pop.arrival == 0) & (pop.status == HIDUP)
        base &= pop.kel < self.kel.n_city
        ok_lock = (lock == UNLOCKED) | (lock == LOW) | ((lock == EXACT) & (desil <= 5))
        cand = np.flatnonzero(base & ok_lock & (age_first >= 17) & (age_last <= 64))
        # households already at desil 1-5 first, so the desil mix stays about uniform
        order = cand[np.lexsort((rng.random(len(cand)), desil[cand] > 5))]
        need = n_city + n_reserve
        if len(order) < need:
            raise SampleTooSmall(
                f"{len(order)} residents can be clean participants, {need} needed; "
                "generate more residents or fewer BPJS rows"
            )
        chosen = order[:need]
        self._make_clean(chosen)
        part, reserve = chosen[:n_city], chosen[n_city:]
        pop.role[part] = PARTICIPANT
        pop.role[reserve] = RESERVED
        self.reserves = [
            reserve[i * new_per_period : (i + 1) * new_per_period]
            for i in range(len(self.periods) - 1)
        ]
        self.add_background_rows(part, "APBD_KOTA", "AKTIF", 0)

        adults = np.flatnonzero(
            (pop.role == FREE)
            & pop.in_dukcapil
            & (pop.arrival == 0)
            & (age_first >= 20)
            & (age_first <= 70)
        )
        adults = rng.permutation(adults)
        sizes = [n_city_non, n_mandiri, n_prov, n_csr]
        if len(adults) < sum(sizes):
            raise SampleTooSmall("not enough adults for the other payers' rows")
        cut = np.cumsum([0] + sizes)
        groups = [adults[cut[i] : cut[i + 1]] for i in range(4)]
        pop.role[groups[0]] = CITY_NONAKTIF
        self.add_background_rows(groups[0], "APBD_KOTA", "NONAKTIF", 0)
        for g, payer, share in zip(groups[1:], ("MANDIRI", "APBD_PROV", "CSR"), (0.85, 0.95, 0.9)):
            pop.role[g] = OTHER_PAYER
            aktif = rng.random(len(g)) < share
            self.add_background_rows(g[aktif], payer, "AKTIF", 0)
            self.add_background_rows(g[~aktif], payer, "NONAKTIF", 0)

    def _make_clean(self, pids: np.ndarray) -> None:
        pop, rng = self.pop, self.rng
        bad = occupation_groups()[pop.occ[pids]] != INFORMAL_G
        pop.occ[pids[bad]] = rng.choice(CLEAN_INFORMAL, int(bad.sum()), p=CLEAN_INFORMAL_P)
        pop.kerja[pids] = kerja_for(rng, pop.occ[pids])
        pop.keberadaan[pids] = 1
        pop.in_dtsen[pids] = True
        fams = np.unique(pop.fam[pids])
        free = fams[pop.fam_lock[fams] == UNLOCKED]
        high = free[pop.fam_desil[free] > 5]
        pop.fam_desil[high] = rng.integers(1, 6, len(high))
        pop.fam_lock[free] = LOW

    def add_background_rows(self, pids: np.ndarray, sumber: str, status: str, k: int) -> None:
        """BPJS rows for many people at once (vectorised)."""
        pop, rng = self.pop, self.rng
        n = len(pids)
        if n == 0:
            return
        if k > 0:
            aktif = to_days(self.starts[k]) + rng.integers(0, self.refs[k].day, n)
        elif sumber == "APBD_KOTA" and status == "AKTIF":
            u = rng.random(n)
            pre = to_days(date(2021, 1, 4)) + rng.integers(0, (LAUNCH - date(2021, 1, 4)).days, n)
            post = to_days(LAUNCH) + rng.integers(1, 200, n)
            aktif = np.where(u < 0.75, pre, np.where(u < 0.97, to_days(LAUNCH), post))
            aktif = np.minimum(aktif, to_days(self.ref_first) - 1)
        else:
            aktif = to_days(date(2019, 1, 2)) + rng.integers(
                0, max(to_days(self.ref_first) - to_days(date(2019, 1, 2)) - 60, 1), n
            )
        pre_sigap = (aktif < to_days(LAUNCH)) & (sumber == "APBD_KOTA")
        kategori = draw_kategori(rng, n, pre_sigap, pop.sex[pids])
        program = np.full(n, "JKK+JKM", dtype=object)
        if sumber == "MANDIRI":
            program[rng.random(n) < 0.3] = "JKK+JKM+JHT"
        bulan = np.full(n, "", dtype=object)
        if status == "NONAKTIF":
            last = np.minimum(aktif + rng.integers(31, 900, n), to_days(self.starts[0]) - 1)
            last = (
                np.maximum(last, aktif).astype("datetime64[D]").astype("datetime64[M]").astype(str)
            )
            bulan = last.astype(object)
        names = nm.render(pop.tok1[pids], pop.tok2[pids], pop.tok3[pids]).to_numpy(
            zero_copy_only=False
        )
        frame = pd.DataFrame(
            {
                "kpj": self.kpjs.draw(
                    aktif.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
                ),
                "pid": pids.astype(np.int64),
                "nik": pop.nik[pids].astype(str).astype(object),
                "nama": names.astype(object),
                "dob": pop.dob[pids],
                "kategori": kategori,
                "program": program,
                "upah": UPAH,
                "iuran": np.where(program == "JKK+JKM+JHT", IURAN_WITH_JHT, IURAN_JKK_JKM),
                "sumber": sumber,
                "aktif": aktif.astype(np.int32),
                "status": status,
                "bulan": bulan,
                "first": k,
            }
        )
        self.bpjs.add(frame)

    # ------------------------------------------------------------------------------
    # NIK look-alikes

    def _track(self, pid: int, replant: Callable[[], None]) -> None:
        """Remember a guarded situation (its typed NIK was made from ``pid``'s NIK) so that
        :meth:`guard` can plant it again if it ever has to."""
        self.guarded_plants[pid] = GuardedPlant(pid, replant)

    def guard(self, k: int) -> int:
        """Make sure that no participant whose NIK is not in Dukcapil has an unintended
        look-alike (same birth date, NIK at most two edits away, name similarity at least
        :data:`LOOK_ALIKE_SIMILARITY`), in period ``k`` or any later one. Returns the number
        of fixes (NIKs redrawn plus situations planted again).

        The guards known in period ``k`` are checked (:meth:`_checks`): those active now,
        those of situations scheduled for later periods and those that planned
        ``disappeared_dukcapil`` changes will create. At generation time (``k == 0``) every
        guard of every period is known, so a look-alike is fixed while nothing has been
        written: it gets another NIK serial, unless its NIK is part of the truth (a planted
        look-alike, or the person a typed NIK was made from); then the guarded situation is
        planted again with other people, or, for a planned disappearance, the disappearing
        participant gets another NIK. In a later period only that period's arrivals are new
        and can get another NIK; anyone else was ruled out when it was generated, and a
        look-alike among them is a construction error (``RuntimeError``)."""
        pop = self.pop
        fixes = 0
        for _ in range(GUARD_ROUNDS):
            checks = self._checks(k)
            found = self._look_alikes(checks)
            if not found:
                return fixes
            protected = {pid for c in checks for pid, _ in c.guard.intended}
            protected |= set(self.guarded_plants)
            redrawn: set[int] = set()
            replanted: set[int] = set()
            for check, pid in found:
                if pid in redrawn or (check.plant is not None and check.plant.pid in replanted):
                    continue
                if pid not in protected and (k == 0 or pop.arrival[pid] == k):
                    self._redraw_nik(pid)
                    redrawn.add(pid)
                elif k == 0 and check.plant is not None:
                    self._replant(check.plant)
                    replanted.add(check.plant.pid)
                elif k == 0 and check.disappearing is not None:
                    if check.disappearing not in redrawn:
                        self._redraw_nik(check.disappearing)
                        redrawn.add(check.disappearing)
                else:  # pragma: no cover - construction guard (every fix happens earlier)
                    raise RuntimeError(
                        f"an unintended NIK look-alike of {check.label} in {self.periods[k]} "
                        f"(Dukcapil NIK {mask_nik(pop.nik[pid])}) cannot be redrawn"
                    )
            fixes += len(redrawn) + len(replanted)
        raise RuntimeError("NIK look-alikes kept reappearing")  # pragma: no cover

    def _checks(self, k: int) -> list[LookAlikeCheck]:
        """Every guard to check in period ``k`` (see :meth:`guard`), in a fixed order."""
        rows = self.bpjs.rows
        active = set(self.bpjs.city_aktif(k)["kpj"].tolist())
        pid_of = dict(zip(rows["kpj"].tolist(), rows["pid"].tolist()))
        later = [c for c in self.planned_changes if c.k > k]
        # people whose birth date or name will change: within two edits of a typed NIK,
        # they could become a look-alike, so they count as one already
        changing = np.array([c.pid for c in later if c.kind in LOOK_CHANGES], dtype=np.int64)
        checks: list[LookAlikeCheck] = []

        def add(kpj: int, guard: NikGuard | None, when: int) -> None:
            if guard is not None and len(guard.typed) == 16:
                plant = self.guarded_plants.get(pid_of.get(kpj, -1))
                checks.append(
                    LookAlikeCheck(
                        guard, f"KPJ {kpj} (listed from {self.periods[when]})", plant, changing
                    )
                )

        for kpj, truth in self.book.participants.items():
            if kpj in active:
                add(kpj, truth.guard, k)
        for j in sorted(self.scheduled):
            if j > k:
                for kpj, truth in self.scheduled[j]:
                    add(kpj, truth.guard, j)
        for change in later:
            if change.kind == "disappeared_dukcapil":
                row = rows.loc[rows["kpj"] == change.kpj].iloc[0]
                guard = NikGuard(str(row["nik"]), int(row["dob"]), str(row["nama"]))
                label = f"KPJ {change.kpj} (disappearing in {self.periods[change.k]})"
                checks.append(LookAlikeCheck(guard, label, None, changing, change.pid))
        return checks

    def _look_alikes(self, checks: list[LookAlikeCheck]) -> list[tuple[LookAlikeCheck, int]]:
        """``(check, person)`` for every unintended look-alike in Dukcapil now; raises
        ``RuntimeError`` when an intended look-alike is not as planted."""
        pop = self.pop
        if not checks:
            return []
        dobs = np.unique(np.array([c.guard.dob for c in checks], dtype=np.int64))
        cand = np.flatnonzero(pop.in_dukcapil & np.isin(pop.dob, dobs))
        cand = cand[np.argsort(pop.dob[cand], kind="stable")]
        cand_dob = pop.dob[cand]
        found: list[tuple[LookAlikeCheck, int]] = []
        for check in checks:
            g = check.guard
            intended = dict(g.intended)
            for pid, how in intended.items():
                if not pop.in_dukcapil[pid] or pop.dob[pid] != g.dob:
                    raise RuntimeError(f"planted look-alike for {check.label} is not in Dukcapil")
                sim = nm.similarity(g.name, self.name_of(pid))
                ok = sim >= 0.93 if how == "match" else 0.855 <= sim <= 0.885
                if not ok or osa_distance(g.typed, np.array([str(pop.nik[pid])]))[0] > 2:
                    raise RuntimeError(
                        f"planted look-alike for {check.label} is off ({how}, {sim:.3f})"
                    )
            lo, hi = np.searchsorted(cand_dob, [g.dob, g.dob + 1])
            people = cand[lo:hi]
            near = people[osa_distance(g.typed, pop.nik[people].astype(str)) <= 2]
            for pid in near.tolist():
                if pid in intended or pid == check.disappearing:
                    continue
                if nm.similarity(g.name, self.name_of(pid)) >= LOOK_ALIKE_SIMILARITY:
                    found.append((check, pid))
            changing = check.changing[pop.in_dukcapil[check.changing]]
            close = changing[osa_distance(g.typed, pop.nik[changing].astype(str)) <= 2]
            found.extend((check, pid) for pid in close.tolist() if pid != check.disappearing)
        return found

    def _redraw_nik(self, pid: int) -> None:
        """Another serial for ``pid``'s NIK (same kecamatan and birth date); the BPJS rows
        typed with the old NIK follow."""
        pop = self.pop
        prefix12 = int(pop.nik[pid]) // 10_000
        new = int(unique_niks(self.rng, np.array([prefix12]), pop.registry)[0])
        old = pop.set_nik(pid, new)
        self.bpjs.renik(pid, str(old), str(new))

    def _replant(self, plant: GuardedPlant) -> None:
        """Withdraw a guarded situation (its BPJS rows and their truth, in whatever period
        they start) and plant it again with other people. Generation time only: the
        people it used stay as they were, unused (like a change target passed over)."""
        rows = self.bpjs.rows
        mine = rows["pid"].to_numpy() == plant.pid
        kpjs = set(rows.loc[mine, "kpj"].tolist())
        self.bpjs.rows = rows.loc[~mine].reset_index(drop=True)
        for kpj in kpjs:
            self.book.participants.pop(kpj, None)
        for j, items in self.scheduled.items():
            self.scheduled[j] = [(kpj, t) for kpj, t in items if kpj not in kpjs]
        del self.guarded_plants[plant.pid]
        plant.replant()
        self.flush()
