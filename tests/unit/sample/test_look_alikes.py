"""Unintended NIK look-alikes forced into small samples.

A participant whose BPJS NIK is not in Dukcapil (a typo, an unknown NIK, somebody who
disappears from Dukcapil) must have exactly the look-alikes the truth intends: same birth
date, NIK at most two edits away, a similar name. Each test below plants an *unintended*
one where the generator used to meet it only in a later period, when that person had
already been written and could not change ("an unintended NIK look-alike cannot be
redrawn": the crash of seed 7 at 2.6 million residents). The generator must now fix it
where the fix is invisible, and the truth must still agree with an independent reading
of the files.
"""

from __future__ import annotations

import numpy as np
import pytest

from devkit.sample import generate, read_truth
from devkit.sample.evolution import Evolution
from devkit.sample.plants import LOOK_CHANGES, Planter, osa_distance
from devkit.sample.population import FREE, HIDUP
from devkit.sample.truth import NikGuard
from tests.unit.sample.agreement import assert_truth_agrees
from tests.unit.sample.oracle import read_extract

RESIDENTS = 1_000
SEED = 11
PERIODS = ["2026-09", "2026-10"]


@pytest.fixture
def after_planting(monkeypatch):
    """``after_planting(inject)``: the next ``generate`` calls ``inject(planter)`` once the
    situations are planted and the background filled, before the generation-time guard.
    Returns a dict that then holds the planter."""

    def install(inject):
        seen: dict = {}
        original = Planter.fill_background

        def fill_then_inject(self, *args, **kwargs):
            original(self, *args, **kwargs)
            seen["planter"] = self
            inject(self)

        monkeypatch.setattr(Planter, "fill_background", fill_then_inject)
        return seen

    return install


def free_resident(planter: Planter) -> int:
    """A background resident of the city whom no situation uses."""
    pop = planter.pop
    ok = (pop.role == FREE) & pop.in_dukcapil & (pop.arrival == 0) & (pop.status == HIDUP)
    return int(np.flatnonzero(ok & (pop.kel < planter.kel.n_city))[0])


def disguise(planter: Planter, pid: int, guard: NikGuard, base: str, *, looks: bool = True) -> str:
    """Give ``pid`` a NIK one digit off ``base`` (a valid NIK at most one edit from the typed
    one), so at most two edits from the typed NIK, and (``looks``) the guarded birth date
    and name: an unintended look-alike. Returns the NIK given."""
    pop = planter.pop
    intended = {str(pop.nik[p]) for p, _ in guard.intended}
    for d in range(1, 10):
        nik = base[:-1] + str((int(base[-1]) + d) % 10)
        if nik != guard.typed and nik not in intended and not pop.registry.contains(int(nik)):
            break
    assert osa_distance(guard.typed, np.array([nik]))[0] <= 2
    old = pop.set_nik(pid, int(nik))
    planter.bpjs.renik(pid, str(old), nik)
    if looks:
        pop.dob[pid] = guard.dob
        pop.dukcapil_names[pid] = guard.name
    return nik


def typo_guard(truths, case: str = "typo_one_substitution") -> tuple[int, NikGuard]:
    """The KPJ and guard of the first planted ``case`` among ``(kpj, truth)`` pairs."""
    kpj, truth = next((kpj, t) for kpj, t in truths if t.case == case)
    return kpj, truth.guard


def target_nik(planter: Planter, guard: NikGuard) -> str:
    """The Dukcapil NIK a probable typo was made from (its intended match)."""
    return str(planter.pop.nik[guard.intended[0][0]])


def assert_redrawn(pop, forced: dict) -> None:
    """The forced look-alike has another NIK now (the NIKs are not printed)."""
    kept = str(pop.nik[forced["pid"]]) == forced["nik"]
    assert not kept, "the forced look-alike kept its NIK"


def in_dukcapil(sample, period: str, nik: str) -> bool:
    """Whether the period's Dukcapil file has a record with ``nik``."""
    return bool((read_extract(sample.file("dukcapil", period).path)["NIK"] == nik).any())


def test_look_alike_of_a_participant_who_will_disappear_is_redrawn_at_generation(
    after_planting, tmp_path
):
    """The crash of seed 7: a participant who disappears from Dukcapil in the second
    period has a same-day namesake one digit away; the namesake gets another NIK before
    anything is written."""
    forced: dict = {}

    def inject(planter: Planter) -> None:
        change = next(c for c in planter.planned_changes if c.kind == "disappeared_dukcapil")
        rows = planter.bpjs.rows
        row = rows.loc[rows["kpj"] == change.kpj].iloc[0]
        guard = NikGuard(str(row["nik"]), int(row["dob"]), str(row["nama"]))
        forced["pid"] = free_resident(planter)
        forced["nik"] = disguise(planter, forced["pid"], guard, guard.typed)

    seen = after_planting(inject)
    sample = generate(tmp_path / "s", residents=RESIDENTS, periods=PERIODS, seed=SEED)
    assert_redrawn(seen["planter"].pop, forced)
    assert not in_dukcapil(sample, PERIODS[0], forced["nik"])
    entries, _ = read_truth(sample.truth_root, PERIODS[1])
    assert "changed_disappeared_dukcapil" in set(entries["case"])
    assert_truth_agrees(sample)


def test_look_alike_of_a_typo_planted_for_a_later_period_is_redrawn_at_generation(
    after_planting, tmp_path
):
    """A probable typo first listed in the second period is checked before the first
    period is written, while its look-alike can still change."""
    forced: dict = {}

    def inject(planter: Planter) -> None:
        _, guard = typo_guard(planter.scheduled[1])
        forced["pid"] = free_resident(planter)
        forced["nik"] = disguise(planter, forced["pid"], guard, target_nik(planter, guard))

    seen = after_planting(inject)
    sample = generate(tmp_path / "s", residents=RESIDENTS, periods=PERIODS, seed=SEED)
    assert_redrawn(seen["planter"].pop, forced)
    assert not in_dukcapil(sample, PERIODS[0], forced["nik"])
    assert_truth_agrees(sample)


def test_when_the_look_alike_is_part_of_the_truth_the_typo_is_planted_again(
    after_planting, tmp_path
):
    """The look-alike is the Dukcapil record another typo was made from (its NIK must stay):
    the guarded situation is withdrawn and planted again with other people."""
    forced: dict = {}

    def inject(planter: Planter) -> None:
        truths = list(planter.book.participants.items())
        kpj, guard = typo_guard(truths)
        three, _ = typo_guard(truths, "typo_three_edits")
        rows = planter.bpjs.rows
        source = int(rows.loc[rows["kpj"] == three, "pid"].iloc[0])
        assert source in planter.guarded_plants
        forced.update(kpj=str(kpj), pid=source)
        forced["nik"] = disguise(planter, source, guard, target_nik(planter, guard))

    seen = after_planting(inject)
    sample = generate(tmp_path / "s", residents=RESIDENTS, periods=PERIODS, seed=SEED)
    kept = str(seen["planter"].pop.nik[forced["pid"]]) == forced["nik"]
    assert kept, "the look-alike's NIK is part of the truth: it must not change"
    assert in_dukcapil(sample, PERIODS[0], forced["nik"])
    for period in PERIODS:
        entries, _ = read_truth(sample.truth_root, period)
        assert forced["kpj"] not in set(entries["kpj"])
        bpjs = read_extract(sample.file("bpjstk", period).path)
        assert forced["kpj"] not in set(bpjs["KPJ"])
    entries, _ = read_truth(sample.truth_root, PERIODS[0])
    assert (entries["case"] == "typo_one_substitution").sum() == 1
    assert_truth_agrees(sample)


def test_an_arrival_that_looks_like_a_later_typo_is_redrawn_when_it_arrives(monkeypatch, tmp_path):
    """Someone who moves in during the second period looks like a typo first listed in the
    third: the guard of the second period sees it while it is new."""
    periods = [*PERIODS, "2026-11"]
    forced: dict = {}
    original = Evolution._churn

    def churn_then_inject(self: Evolution, k: int) -> None:
        original(self, k)
        if k == 1:
            pop = self.pop
            _, guard = typo_guard(self.p.scheduled[2])
            forced["pid"] = int(np.flatnonzero((pop.arrival == 1) & pop.in_dukcapil)[0])
            forced["nik"] = disguise(self.p, forced["pid"], guard, target_nik(self.p, guard))
            forced["pop"] = pop

    monkeypatch.setattr(Evolution, "_churn", churn_then_inject)
    sample = generate(tmp_path / "s", residents=RESIDENTS, periods=periods, seed=SEED)
    assert_redrawn(forced["pop"], forced)
    assert not in_dukcapil(sample, periods[1], forced["nik"])
    assert_truth_agrees(sample)


def test_people_whose_birth_date_or_name_will_change_stay_clear_of_typed_niks(
    after_planting, tmp_path
):
    """A change target within two edits of a typed NIK would become a look-alike when its
    birth date or name changes: it gets another NIK at generation time."""
    forced: dict = {}

    def inject(planter: Planter) -> None:
        _, guard = typo_guard(planter.book.participants.items())
        target = next(c.pid for c in planter.planned_changes if c.kind == "birth_date_changed")
        forced["pid"] = target
        forced["nik"] = disguise(planter, target, guard, target_nik(planter, guard), looks=False)

    seen = after_planting(inject)
    sample = generate(tmp_path / "s", residents=RESIDENTS, periods=PERIODS, seed=SEED)
    planter = seen["planter"]
    assert_redrawn(planter.pop, forced)
    typed = [
        t.guard.typed
        for t in planter.book.participants.values()
        if t.guard is not None and len(t.guard.typed) == 16
    ]
    changing = [c.pid for c in planter.planned_changes if c.kind in LOOK_CHANGES]
    niks = planter.pop.nik[changing].astype(str)
    assert all((osa_distance(t, niks) > 2).all() for t in typed)
    assert_truth_agrees(sample)
