"""The generator's building blocks: names, NIK look-alikes, population arrays."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from domain.reference import kecamatan_codes
from devkit.sample import names as nm
from devkit.sample.plants import osa_distance
from devkit.sample.population import (
    NikRegistry,
    age_at,
    build_population,
    nik_date_part,
    to_days,
    unique_niks,
    years_before,
)


@pytest.fixture
def rng():
    return np.random.default_rng(123)


def test_titles_normalise_away(rng):
    titled = nm.with_titles("AHMAD FAUZI", 1, rng)
    assert titled != "AHMAD FAUZI" and "," in titled
    assert nm.normalise(titled) == "AHMAD FAUZI"
    assert nm.normalise("H. Ahmad Fauzi, S.Kom") == "AHMAD FAUZI"
    assert nm.normalise("Hj. Siti Aminah, S.Pd") == "SITI AMINAH"
    assert nm.normalise("HASAN") == "HASAN"  # the H of a name is not a title


@pytest.mark.parametrize(
    "name", ["MUHAMMAD RIZKI", "SITI AMINAH", "SUPARMAN", "ASEP SAEPUDIN", "RONALD SIMANJUNTAK"]
)
def test_variants_land_on_the_intended_side_of_the_thresholds(name, rng):
    tiny = nm.respelling(name, rng)
    assert tiny is not None and nm.normalise(tiny) != name and nm.similarity(name, tiny) >= 0.93
    near = nm.near_miss_variation(name, rng)
    assert near is not None and 0.855 <= nm.similarity(name, near) <= 0.885
    other = nm.different_name(name, 1, rng)
    assert nm.similarity(name, other) <= 0.75


def test_short_names_have_respellings(rng):
    for name in ("SRI", "ANI", "ADI", "EKO", "FATIMAH"):
        v = nm.respelling(name, rng)
        assert v is not None and nm.similarity(name, v) >= 0.93


def test_names_are_assigned_per_group_without_loops(rng):
    n = 50_000
    ethnic = rng.integers(0, len(nm.ETHNIC_GROUPS), n)
    sex = rng.integers(1, 3, n)
    family = np.arange(n) // 4
    heir = np.arange(n) % 4 != 1
    t1, t2, t3 = nm.assign_names(rng, ethnic, sex, family, heir)
    assert (t1 >= 0).all()
    assert ((t3 < 0) | (t2 >= 0)).all(), "no gap between tokens"
    names = np.array(nm.render(t1, t2, t3).to_pylist())
    assert (names == np.char.strip(names)).all() and not any("  " in x for x in names[:1000])
    batak = nm.ETHNIC_GROUPS.index(next(g for g in nm.ETHNIC_GROUPS if g[0] == "BATAK"))
    marga = set(nm.PATTERNS["BATAK"].family_names)
    heads = np.flatnonzero((ethnic == batak) & heir)
    last = [names[i].split()[-1] for i in heads[:200]]
    assert all(w in marga for w in last)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("3275014101900123", "3275014101900123", 0),
        ("3275014101900123", "3275014101900124", 1),
        ("3275014101900123", "3275014101900132", 1),  # adjacent transposition
        ("3275014101900123", "3275014101901132", 2),
        ("3275014101900123", "3275014101911133", 3),
        ("3275014101900123", "327501410190012", np.inf),
        ("3275014101900123", "32750141O1900123", 1),
    ],
)
def test_osa_distance(a, b, expected):
    assert osa_distance(a, np.array([b]))[0] == expected


def test_nik_date_part_adds_forty_for_women():
    dob = np.array([to_days(date(1990, 1, 15)), to_days(date(1990, 1, 15))])
    assert nik_date_part(dob, np.array([1, 2])).tolist() == [150190, 550190]


def test_ages_and_birthdays():
    ref = date(2026, 10, 31)
    assert age_at(np.array([to_days(years_before(ref, 66))]), ref)[0] == 66
    assert age_at(np.array([to_days(years_before(ref, 66)) + 1]), ref)[0] == 65
    assert years_before(date(2028, 2, 29), 66) == date(1962, 2, 28)


def test_unique_niks_never_collide(rng):
    prefix12 = np.full(5_000, 3275014101900000 // 10_000)  # one kecamatan, one birth date
    registry = NikRegistry(np.array([3275014101900001]))
    niks = unique_niks(rng, prefix12, registry)
    assert len(set(niks.tolist())) == len(niks)
    assert 3275014101900001 not in set(niks.tolist())
    assert (niks % 10_000 > 0).all()


def test_population_structure(rng):
    ref = date(2026, 9, 30)
    pop = build_population(rng, 10_000, ref)
    assert pop.in_dukcapil.sum() <= 10_000 and pop.n > 10_000  # former residents only in DTSEN
    assert len(np.unique(pop.nik)) == pop.n
    prefixes = {str(x) for x in np.unique(pop.nik // 10**10)}
    assert prefixes <= kecamatan_codes()
    assert (np.bincount(pop.fam) <= 6).all()
    assert set(np.unique(pop.fam_desil)) == set(range(1, 11))
    assert (age_at(pop.dob, ref) >= 0).all()
