"""From one period to the next: what changes in the city and in the BPJS list.

:meth:`Evolution.advance` applies, in order:

1. people whose status changed last period (MATI, PINDAH) leave the Dukcapil extract;
2. the BPJS branch processes last period's terminations (the KPJ becomes NONAKTIF), except
   a few whose facts still hold, which stay AKTIF: ``TERMINATION_PENDING``;
3. situations planted for this period start (their truth is installed);
4. planted changes on people in scope in both periods, each recorded for ``changes.csv``;
5. background churn that touches nobody in scope: births, people moving in (not yet in
   DTSEN), deaths and moves of people who are out of scope in every period;
6. new enrolments of clean residents (reserved at generation time);
7. the NIK look-alike guard for this period's new arrivals (against the guards of this
   period and of every later one).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from core.errors import InvalidInput
from devkit.sample import names as nm
from devkit.sample.plants import SEALED, Planter
from devkit.sample.population import (
    CHURN,
    CLEAN_INFORMAL,
    CLEAN_INFORMAL_P,
    FREE,
    HIDUP,
    MATI,
    PARTICIPANT,
    PINDAH,
    UNLOCKED,
    age_at,
    age_of,
    build_population,
    from_days,
    nik_date_part,
    to_days,
    unique_niks,
)
from devkit.sample.truth import ENROLL_OR_WAITLIST, NikGuard, ParticipantTruth, reasons_of
from domain.codes import ChangeType, Reason, Source

R = Reason


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


class Evolution:
    """Moves a planted sample from period ``k - 1`` to period ``k``."""

    #: monthly background rates (share of the Dukcapil extract)
    BIRTHS = 0.0011
    MOVE_INS = 0.0009
    DEATHS = 0.0004
    MOVE_OUTS = 0.0007

    def __init__(self, planter: Planter) -> None:
        self.p = planter
        self.pop = planter.pop
        self.rng = planter.rng
        self.book = planter.book
        self.bpjs = planter.bpjs

    def advance(self, k: int) -> None:
        self._leavers(k)
        self._process_terminations(k)
        for kpj, truth in self.p.scheduled.get(k, []):
            self.book.participants[kpj] = truth
        for change in self.p.planned_changes:
            if change.k == k:
                self._apply_change(k, change)
        self._churn(k)
        reserve = self.p.reserves[k - 1]
        self.pop.role[reserve] = PARTICIPANT
        self.p.add_background_rows(reserve, "APBD_KOTA", "AKTIF", k)
        self.p.guard(k)

    # ------------------------------------------------------------------------------
    def _leavers(self, k: int) -> None:
        pop = self.pop
        gone = pop.in_dukcapil & (pop.status != HIDUP) & (pop.event < to_days(self.p.starts[k]))
        pop.in_dukcapil[gone] = False

    def _process_terminations(self, k: int) -> None:
        rows = self.bpjs.rows
        active = self.bpjs.city_aktif(k - 1)["kpj"].tolist()
        terminated = [
            kpj
            for kpj in sorted(active)
            if kpj in self.book.participants and self.book.participants[kpj].decision == "TERMINATE"
        ]
        candidates = [
            kpj for kpj in terminated
            if self.book.participants[kpj].stable and Reason.TERMINATION_PENDING not in self.book.participants[kpj].reasons
        ]  # fmt: skip
        n_pending = min(len(candidates), max(1, self.p.per_case // 2))
        pending = (
            set(
                self.rng.choice(
                    np.array(candidates, dtype=np.int64), n_pending, replace=False
                ).tolist()
            )
            if n_pending
            else set()
        )
        prev = self.p.periods[k - 1]
        deactivate = [kpj for kpj in terminated if kpj not in pending]
        hit = rows["kpj"].isin(deactivate)
        rows.loc[hit, "status"] = "NONAKTIF"
        rows.loc[hit, "bulan"] = prev
        for kpj in deactivate:
            del self.book.participants[kpj]
        for kpj in sorted(pending):
            self.book.participants[kpj] = self.book.participants[kpj].with_reason(
                Reason.TERMINATION_PENDING.value, case="termination_pending"
            )

    # ------------------------------------------------------------------------------
    def _event_day(self, k: int) -> int:
        return to_days(
            self.p.starts[k] + timedelta(days=int(self.rng.integers(0, self.p.refs[k].day)))
        )

    def _apply_change(self, k: int, ch) -> None:
        pop, p, rng, kel = self.pop, self.p, self.rng, self.p.kel
        pid, kind = ch.pid, ch.kind
        nik = str(pop.nik[pid])
        record = lambda t, b, a, s=Source.DUKCAPIL: self.book.record_change(
            k, nik, t.value, b, a, s.value
        )
        reasons: tuple[str, ...] = ()
        stable, guard = True, None
        kind_base = kind.removesuffix("_minor").removesuffix("_major")
        if kind == "died":
            pop.status[pid], pop.event[pid] = MATI, self._event_day(k)
            record(ChangeType.DIED, "HIDUP", "MATI")
            reasons, stable = reasons_of(R.DECEASED, R.JKM_CLAIM_ALERT), False
        elif kind == "moved_out_pindah":
            pop.status[pid], pop.event[pid] = PINDAH, self._event_day(k)
            record(ChangeType.MOVED_OUT, "HIDUP", "PINDAH")
            reasons, stable = reasons_of(R.MOVED_OUT), False
        elif kind == "moved_out_kabupaten":
            before = kel.code[pop.kel[pid]]
            pop.kel[pid] = rng.choice(kel.kab_bekasi)
            record(ChangeType.MOVED_OUT, before, kel.code[pop.kel[pid]])
            reasons = reasons_of(R.MOVED_OUT)
        elif kind == "moved_within_city":
            before = kel.code[pop.kel[pid]]
            choices = np.setdiff1d(kel.city, [pop.kel[pid]])
            pop.kel[pid] = rng.choice(choices)
            record(ChangeType.MOVED_WITHIN_CITY, before, kel.code[pop.kel[pid]])
        elif kind == "kk_changed":
            before = str(pop.kk[pid])
            prefix12 = kel.nik_prefix(pop.kel[pid : pid + 1]) * 10**6 + nik_date_part(
                np.array([self._event_day(k)]), np.ones(1)
            )
            new = int(unique_niks(rng, prefix12, pop.registry)[0])
            pop.registry.add(new)
            pop.kk[pid] = new
            record(ChangeType.KK_CHANGED, before, str(new))
        elif kind_base == "name_changed":
            before = p.name_of(pid)
            if kind == "name_changed_major":
                after = nm.different_name(before, int(pop.sex[pid]), rng)
                reasons = reasons_of(R.IDENTITY_MISMATCH)
            else:
                after = self._respelled(before)
            pop.dukcapil_names[pid] = after
            record(ChangeType.NAME_CHANGED, before, after)
        elif kind == "birth_date_changed":
            before = int(pop.dob[pid])
            for _ in range(100):
                after = before + int(rng.choice([-1, 1])) * int(rng.integers(10, 200))
                ages = [age_of(after, ref) for ref in p.refs[k:]]
                if min(ages) >= 16 and max(ages) <= 64:
                    break
            pop.dob[pid] = after
            record(
                ChangeType.BIRTH_DATE_CHANGED,
                from_days(before).isoformat(),
                from_days(after).isoformat(),
            )
            if ch.kpj is not None:
                reasons = reasons_of(R.IDENTITY_MISMATCH)
        elif kind.startswith("desil_changed"):
            f = pop.fam[pid]
            if pop.fam_lock[f] != SEALED:  # pragma: no cover - construction guard
                raise RuntimeError("a desil change on a household that is not sealed")
            before = int(pop.fam_desil[f])
            if kind == "desil_changed_above":
                after = int(rng.integers(6, 10))
                reasons = reasons_of(R.DESIL_ABOVE_LIMIT)
            else:
                after = int(rng.choice([d for d in range(1, 6) if d != before]))
            pop.fam_desil[f] = after
            if quarter_start(p.refs[k]) == quarter_start(p.refs[k - 1]):
                pop.rank_date[pid] = to_days(p.starts[k])  # an interim re-ranking of the household
            record(ChangeType.DESIL_CHANGED, str(before), str(after), Source.DTSEN)
        elif kind.startswith("occupation_changed"):
            before = int(pop.occ[pid])
            if kind == "occupation_changed_formal":
                after = 15
                reasons = reasons_of(R.FORMAL_OCCUPATION)
            elif kind == "occupation_changed_tidak_bekerja":
                after = 1
            else:
                after = int(rng.choice(CLEAN_INFORMAL[CLEAN_INFORMAL != before], p=_renorm(before)))
            pop.occ[pid] = after
            record(ChangeType.OCCUPATION_CHANGED, str(before), str(after))
        elif kind == "disappeared_dtsen":
            pop.in_dtsen[pid] = False
            record(ChangeType.DISAPPEARED, kel.code[pop.dtsen_kel[pid]], "", Source.DTSEN)
            reasons = reasons_of(R.NOT_IN_DTSEN)
        elif kind == "disappeared_dukcapil":
            pop.in_dukcapil[pid] = False
            record(ChangeType.DISAPPEARED, kel.code[pop.kel[pid]], "")
            reasons = reasons_of(R.NIK_NOT_FOUND)
            row = self.bpjs.rows.loc[self.bpjs.rows["kpj"] == ch.kpj].iloc[0]
            guard = NikGuard(str(row["nik"]), int(row["dob"]), str(row["nama"]))
        else:  # pragma: no cover
            raise InvalidInput(f"unknown change {kind}")
        case = "changed_" + kind.replace("_changed", "")
        if ch.kpj is not None:
            self.book.participants[ch.kpj] = ParticipantTruth(
                reasons, case, stable=stable, guard=guard
            )
        else:
            for r in self.book.residents:
                if r.pid == pid:
                    r.case, r.expected = case, ENROLL_OR_WAITLIST

    def _respelled(self, name: str) -> str:
        """A real spelling correction (not only case), similar enough to stay a match
        (the target was chosen with a name that has one)."""
        v = nm.respelling(name, self.rng)
        if v is None:  # pragma: no cover - construction guard (see Planter.change_target)
            raise RuntimeError("a name-change target without a spelling variant")
        return v

    # ------------------------------------------------------------------------------
    def _churn(self, k: int) -> None:
        pop, rng, p = self.pop, self.rng, self.p
        alive = int(pop.in_dukcapil.sum())
        ref = p.refs[k]

        # deaths and moves of people out of scope in every period (old, or desil 6+)
        cand_mask = (
            (pop.role == FREE) & pop.in_dukcapil & (pop.status == HIDUP) & (pop.arrival == 0)
            & (pop.kel < p.kel.n_city)
        )  # fmt: skip
        cand = np.flatnonzero(cand_mask)
        elderly = age_at(pop.dob[cand], p.ref_first) >= 67
        rich = (pop.fam_desil[pop.fam[cand]] >= 6) & (pop.fam_lock[pop.fam[cand]] == UNLOCKED)
        cand, elderly = cand[elderly | rich], elderly[elderly | rich]
        order = cand[np.lexsort((rng.random(len(cand)), ~elderly))]
        n_die = min(round(alive * self.DEATHS), len(order))
        dying = order[:n_die]
        rest = rng.permutation(order[n_die:])
        moving = rest[: min(round(alive * self.MOVE_OUTS), len(rest))]
        for who, status in ((dying, MATI), (moving, PINDAH)):
            pop.status[who] = status
            pop.event[who] = to_days(p.starts[k]) + rng.integers(0, ref.day, len(who))
            pop.role[who] = CHURN

        # births into existing households
        n_births = round(alive * self.BIRTHS)
        if n_births:
            mothers_pool = np.flatnonzero(
                pop.in_dukcapil & (pop.status == HIDUP) & (pop.sex == 2) & (pop.kel < p.kel.n_city)
                & (pop.arrival == 0)
            )  # fmt: skip
            ages = age_at(pop.dob[mothers_pool], ref)
            mothers_pool = mothers_pool[(ages >= 20) & (ages <= 42)]
            mothers = rng.choice(mothers_pool, n_births, replace=len(mothers_pool) < n_births)
            values = pop.copy_people(mothers)
            sex = np.where(rng.random(n_births) < 0.51, 1, 2).astype(np.int8)
            dob = (to_days(p.starts[k]) + rng.integers(0, ref.day, n_births)).astype(np.int32)
            t1, t2, t3 = nm.assign_names(
                rng, rng.integers(0, len(nm.ETHNIC_GROUPS), n_births), sex,
                np.arange(n_births), np.zeros(n_births, bool),
            )  # fmt: skip
            prefix6 = p.kel.nik_prefix(values["kel"])
            niks = unique_niks(rng, prefix6 * 10**6 + nik_date_part(dob, sex), pop.registry)
            values.update(
                sex=sex, dob=dob, nik=niks, tok1=t1, tok2=t2, tok3=t3, stat_kwn=np.ones(n_births),
                occ=np.ones(n_births), kerja=np.zeros(n_births), in_dtsen=np.zeros(n_births, bool),
                keberadaan=np.ones(n_births), status=np.zeros(n_births), event=np.full(n_births, -1),
                rank_date=np.full(n_births, -1), role=np.full(n_births, CHURN),
                arrival=np.full(n_births, k), in_dukcapil=np.ones(n_births, bool),
            )  # fmt: skip
            pop.append_people(**values)
            pop.registry.add(niks)

        # households moving in (in Dukcapil, not yet ranked by DTSEN: out of scope)
        n_in = round(alive * self.MOVE_INS)
        if n_in:
            sub = build_population(rng, n_in, ref, dtsen_only_share=0.0)
            offset = pop.n_families
            kk = unique_niks(rng, sub.fam_kk // 10_000, pop.registry)
            pop.registry.add(kk)
            pop.append_families(
                fam_desil=sub.fam_desil, fam_pkh=sub.fam_pkh, fam_kk=kk,
                fam_lock=np.full(sub.n_families, SEALED), fam_size=sub.fam_size,
            )  # fmt: skip
            niks = unique_niks(rng, sub.nik // 10_000, pop.registry)
            values = {name: getattr(sub, name) for name in pop.PERSON_FIELDS}
            values.update(
                fam=sub.fam + offset, nik=niks, kk=kk[sub.fam], in_dtsen=np.zeros(sub.n, bool),
                role=np.full(sub.n, CHURN), arrival=np.full(sub.n, k),
            )  # fmt: skip
            pop.append_people(**values)
            pop.registry.add(niks)


def _renorm(exclude: int) -> np.ndarray:
    p = CLEAN_INFORMAL_P[CLEAN_INFORMAL != exclude]
    return p / p.sum()
