"""The registry's period history: which release a period is built on, which releases a new
version makes stale, and what changed between two versions of a period.

Each release is built on the current release of the previous period (its *base*): the
base's TERMINATE entries become this period's TERMINATION_PENDING, its accepted extracts
are the change-detection baseline, and its re-verification cases as of its end are the
cases this period carries on. The registry's first period has no base.

* :func:`base_release` enforces the order: a period is reconciled only on a current,
  non-stale release of the previous period (or as the registry's first period);
  otherwise it raises :class:`core.errors.PeriodOutOfOrder`, naming what is missing and
  the command to run.
* :func:`stale_marks`: when a period gets a new version, the later current releases
  built on the one it replaces (directly or through the chain) are stale.
* :func:`decision_changes` / :func:`decision_change_counts`: the person-by-person
  decision changes between two releases' entries (the report of every version after the
  first, ``perubahan_keputusan_YYYYMM_vN.csv`` and ``sigap diff``).

Pure functions: the registry connector reads and writes the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import InvalidInput, PeriodOutOfOrder
from domain.cases import person_key
from domain.periods import next_period, parse_period, previous_period


@dataclass(frozen=True)
class ReleaseRef:
    """What the period history needs to know of one release."""

    release_id: int
    period: str
    version: int
    based_on_release_id: int | None = None
    stale: bool = False

    @property
    def label(self) -> str:
        """``2026-09 v2 (release 7)``."""
        return f"{self.period} v{self.version} (release {self.release_id})"


@dataclass(frozen=True)
class StaleMark:
    """A current release that a new version made stale, and the one sentence saying why."""

    release_id: int
    period: str
    version: int
    because: str

    @property
    def label(self) -> str:
        return f"{self.period} v{self.version} (release {self.release_id})"


def first_period(configured: str | None, periods: Iterable[str]) -> str | None:
    """The registry's first period: ``registry.first_period`` when set, else the earliest
    period with a release (``None`` for an empty registry)."""
    if configured:
        parse_period(configured)
        return configured
    known = sorted(set(periods))
    return known[0] if known else None


def _command_hint(missing_from: str, period: str) -> str:
    if missing_from == previous_period(period):
        return (
            f"run `sigap run --period {missing_from}` first, or both in order with "
            f"`sigap backfill --from {missing_from} --to {period}`"
        )
    return f"run them in order: `sigap backfill --from {missing_from} --to {period}`"


def base_release(
    period: str, current: Sequence[ReleaseRef], configured_first: str | None
) -> ReleaseRef | None:
    """The release ``period`` is built on: the current release of the previous period
    (``None`` when ``period`` is the registry's first period).

    ``current``: the current release of every period (the PUBLISHED one, stale or not).
    ``configured_first``: ``registry.first_period`` (``None``: the earliest period with a
    release is the first; on an empty registry ``period`` itself is).

    Raises :class:`PeriodOutOfOrder` when ``period`` comes before the first period, when
    the previous period has no release, or when the previous period's release is stale
    (it must be re-run first); the message names what is missing and the command to run.
    """
    parse_period(period)
    by_period = {r.period: r for r in current}
    first = first_period(configured_first, by_period) or period
    if period < first:
        source = (
            "registry.first_period in the settings"
            if configured_first
            else "the first period published"
        )
        raise PeriodOutOfOrder(
            f"{period} is before the registry's first period {first} ({source}): a period is "
            "built on the one before it, and nothing may be built on a period the registry "
            "does not hold",
            hint=(
                f'to start the registry at {period}, set registry.first_period = "{period}" '
                f"(SIGAP_REGISTRY__FIRST_PERIOD) and run `sigap backfill --from {period} "
                f"--to {max(by_period, default=first)}`: the later releases are re-built on it"
            ),
        )
    if period == first:
        return None
    prev = previous_period(period)
    base = by_period.get(prev)
    if base is None:
        missing_from = prev
        while previous_period(missing_from) >= first and previous_period(missing_from) not in by_period:
            missing_from = previous_period(missing_from)
        raise PeriodOutOfOrder(
            f"{period} cannot be reconciled yet: the previous period {prev} has no published "
            f"release (its terminations, change-detection baseline and open cases are what "
            f"{period} is built on)",
            hint=_command_hint(missing_from, period),
        )
    if base.stale:
        root = base
        while previous_period(root.period) in by_period and by_period[previous_period(root.period)].stale:
            root = by_period[previous_period(root.period)]
        raise PeriodOutOfOrder(
            f"{period} cannot be reconciled on {base.label}: that release is stale (a period it "
            "was built on has a newer version)",
            hint=(
                f"re-run from {root.period} in order: `sigap run --period {root.period} --cascade` "
                f"(re-runs {root.period} and every later stale period)"
            ),
        )
    return base


def stale_marks(
    published: ReleaseRef, superseded: ReleaseRef | None, later: Sequence[ReleaseRef]
) -> list[StaleMark]:
    """The current releases of later periods that ``published`` (a new release of its
    period, replacing ``superseded`` if any) makes stale.

    The next period's current release is stale when it is not built on ``published``
    (it was built on ``superseded``, or on nothing because it was the registry's first
    period then); each following period's current release is stale when it is built on
    a stale one. Releases that are stale already are left as they are (and not returned).
    ``later``: the current releases of the periods after ``published``'s.
    """
    by_period = {r.period: r for r in later if r.period > published.period}
    marks: list[StaleMark] = []
    cause = (
        f"{superseded.label} was superseded by {published.label}"
        if superseded is not None
        else f"{published.label} now precedes it"
    )
    period, below, below_stale = next_period(published.period), published, False
    while period in by_period:
        release = by_period[period]
        if below is published:
            stale = release.based_on_release_id != published.release_id
            if stale and release.based_on_release_id is None:
                why = (
                    f"{release.label} was built as the registry's first period, without a "
                    f"base; {published.label} now precedes it."
                )
            elif stale and superseded is not None and release.based_on_release_id == superseded.release_id:
                why = (
                    f"{release.label} was built on {superseded.label}, which was superseded "
                    f"by {published.label}."
                )
            else:
                why = (
                    f"{release.label} was built on release {release.based_on_release_id}, "
                    f"not on the current {published.label}."
                )
        else:
            stale = below_stale and release.based_on_release_id == below.release_id
            why = f"{release.label} was built on {below.label}, which is stale: {cause}."
        if not stale:
            break
        if not release.stale:
            marks.append(StaleMark(release.release_id, release.period, release.version, why))
        period, below, below_stale = next_period(period), release, True
    return marks


# ------------------------------------------------------------------------------------
#: columns of ``perubahan_keputusan_YYYYMM_vN.csv`` (full NIK and name: a deliverable)
DECISION_CHANGE_COLUMNS: tuple[str, ...] = (
    "kpj",
    "nik",
    "nama",
    "kode_kelurahan",
    "decision_before",
    "decision_after",
    "reasons_before",
    "reasons_after",
)
#: the entry columns :func:`decision_changes` reads
DIFF_ENTRY_COLUMNS: tuple[str, ...] = ("nik", "kpj", "nama", "kode_kelurahan", "decision", "reasons")
#: what a person absent from one side is shown as (``decision_before``/``_after``)
ABSENT = "(none)"


def decision_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """The people whose decision differs between two releases' entries
    (:data:`DECISION_CHANGE_COLUMNS`), a person being the KPJ for participants and the NIK
    otherwise; a person in only one release has :data:`ABSENT` on the other side. Sorted by
    old decision, new decision, then KPJ and NIK. One merge, no per-row Python."""
    for frame, what in ((before, "before"), (after, "after")):
        missing = [c for c in DIFF_ENTRY_COLUMNS if c not in frame.columns]
        if missing:
            raise InvalidInput(f"entries {what} lack column(s) {', '.join(missing)}")

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        f = frame.reset_index(drop=True)[list(DIFF_ENTRY_COLUMNS)]
        return f.assign(_key=person_key(f["kpj"], f["nik"])).drop_duplicates("_key")

    b, a = keyed(before), keyed(after)
    merged = b[["_key", "decision", "reasons"]].merge(
        a[["_key", "decision", "reasons"]], on="_key", how="outer", suffixes=("_before", "_after")
    )
    old = merged["decision_before"].astype("str").fillna(ABSENT)
    new = merged["decision_after"].astype("str").fillna(ABSENT)
    changed = merged[(old != new).to_numpy(dtype=bool)]
    # the person's identity from the newer release, else the older one
    who = pd.concat([a, b], ignore_index=True).drop_duplicates("_key").set_index("_key")
    people = who.loc[changed["_key"], ["kpj", "nik", "nama", "kode_kelurahan"]].reset_index(drop=True)
    out = pd.concat(
        [
            people,
            pd.DataFrame(
                {
                    "decision_before": old[changed.index].to_numpy(),
                    "decision_after": new[changed.index].to_numpy(),
                    "reasons_before": changed["reasons_before"].to_numpy(),
                    "reasons_after": changed["reasons_after"].to_numpy(),
                }
            ),
        ],
        axis=1,
    )
    for column in DECISION_CHANGE_COLUMNS:
        out[column] = out[column].astype("str")
    order = np.lexsort(
        (
            out["nik"].fillna("").to_numpy(dtype=object),
            out["kpj"].fillna("").to_numpy(dtype=object),
            out["decision_after"].to_numpy(dtype=object),
            out["decision_before"].to_numpy(dtype=object),
        )
    )
    return out.iloc[order].reset_index(drop=True)[list(DECISION_CHANGE_COLUMNS)]


def decision_change_counts(changes: pd.DataFrame) -> dict[str, int]:
    """``{"KEEP -> TERMINATE": n, ...}`` (no personal data), most frequent first."""
    if not len(changes):
        return {}
    pairs = changes["decision_before"].astype("str") + " -> " + changes["decision_after"].astype("str")
    counts = pairs.value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    return {str(k): int(v) for k, v in counts.items()}


@dataclass(frozen=True)
class VersionDiff:
    """What changed between two versions of a period (no personal data but the
    ``changes`` frame, which goes to the outbox file only)."""

    period: str
    from_release: ReleaseRef
    to_release: ReleaseRef
    #: per input (``dukcapil``, ``dtsen``, ``bpjstk``, ``verifikasi``...): (old, new) sha256,
    #: only those that differ
    digests_changed: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    rules_changed: tuple[str, str] | None = None
    base_changed: tuple[int | None, int | None] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    changes: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    @property
    def people_changed(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        """Plain sentences for the CLI, logs and the UI (counts and digests only)."""
        head = f"{self.period}: v{self.from_release.version} (release {self.from_release.release_id}) -> v{self.to_release.version} (release {self.to_release.release_id})"
        out = [head]
        if self.digests_changed:
            for source, (old, new) in sorted(self.digests_changed.items()):
                out.append(f"  input {source}: {(old or '-')[:12]} -> {(new or '-')[:12]}")
        else:
            out.append("  inputs: the same files")
        if self.rules_changed:
            out.append(f"  rules: {self.rules_changed[0]} -> {self.rules_changed[1]}")
        if self.base_changed:
            old, new = self.base_changed
            out.append(f"  base release: {old if old is not None else 'none'} -> {new if new is not None else 'none'}")
        else:
            out.append("  base release: unchanged")
        if self.counts:
            out.append(f"  decisions changed for {self.people_changed:,} people:")
            out += [f"    {pair}: {n:,}" for pair, n in self.counts.items()]
        else:
            out.append("  no decision changed")
        return out


def version_diff(
    period: str,
    from_release: ReleaseRef,
    to_release: ReleaseRef,
    from_digests: dict[str, str],
    to_digests: dict[str, str],
    entries_before: pd.DataFrame,
    entries_after: pd.DataFrame,
    *,
    from_rules: str = "",
    to_rules: str = "",
) -> VersionDiff:
    """:class:`VersionDiff` of two releases of ``period``."""
    keys = sorted(set(from_digests) | set(to_digests))
    digests = {
        k: (from_digests.get(k), to_digests.get(k))
        for k in keys
        if from_digests.get(k) != to_digests.get(k)
    }
    changes = decision_changes(entries_before, entries_after)
    base = (from_release.based_on_release_id, to_release.based_on_release_id)
    return VersionDiff(
        period=period,
        from_release=from_release,
        to_release=to_release,
        digests_changed=digests,
        rules_changed=(from_rules, to_rules) if from_rules != to_rules else None,
        base_changed=base if base[0] != base[1] else None,
        counts=decision_change_counts(changes),
        changes=changes,
    )
