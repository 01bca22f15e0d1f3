"""``generate``: a whole sample (SFTP tree + ground truth) for consecutive periods.

The order of work, all seeded from one ``seed``:

1. build the population (:mod:`devkit.sample.population`);
2. plant every situation and choose the targets of later changes (:mod:`devkit.sample.plants`);
3. fill the BPJS list with clean background participants and other payers' rows;
4. for each period: step the city forward (:mod:`devkit.sample.evolution`, from the second
   period), write the three extracts with their ``.sha256`` (:mod:`devkit.sample.writer`)
   and the period's truth (:mod:`devkit.sample.truth`).

``out_dir/manifest.json`` lists every file with its checksum and row count;
:func:`load_manifest` reads it back.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from devkit.sample import writer
from devkit.sample.bpjs_list import BpjsList, KpjAllocator
from devkit.sample.evolution import Evolution, quarter_start
from devkit.sample.plants import Planter, SampleTooSmall
from devkit.sample.population import age_at, build_population
from devkit.sample.truth import (
    ENROLL_OR_WAITLIST,
    README,
    TOP_PRIORITY,
    EnrollGuarantee,
    TruthBook,
    default_quota,
    participant_frame,
    write_truth,
)
from domain.codes import Source
from domain.extracts import SPECS
from domain.periods import next_period, parse_period, reference_date

Progress = Callable[[str, float], None]

#: the real city: 2.6 million residents, about 60,000 BPU rows
CITY_RESIDENTS = 2_600_000
CITY_BPJS_ROWS = 60_000
MIN_BPJS_ROWS = 300
MIN_RESIDENTS = 500
MAX_PERIODS = 12
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ExtractFile:
    """One data file of the SFTP tree."""

    source: str
    period: str
    path: Path
    checksum_path: Path
    sha256: str
    rows: int
    size: int


@dataclass(frozen=True)
class TruthFiles:
    period: str
    entries: Path
    changes: Path
    entry_rows: int
    change_rows: int


@dataclass(frozen=True)
class SampleManifest:
    """What :func:`generate` wrote."""

    out_dir: Path
    sftp_root: Path
    truth_root: Path
    periods: tuple[str, ...]
    residents: int
    seed: int
    bpjs_rows: int
    files: tuple[ExtractFile, ...]
    truth: tuple[TruthFiles, ...]
    #: whether the DTSEN extracts carry the optional ``DISABILITAS`` column
    disability_column: bool = True

    def file(self, source: Source | str, period: str) -> ExtractFile:
        for f in self.files:
            if f.source == str(source) and f.period == period:
                return f
        raise KeyError(f"no {source} file for {period}")

    def truth_for(self, period: str) -> TruthFiles:
        for t in self.truth:
            if t.period == period:
                return t
        raise KeyError(f"no truth for {period}")

    def to_json(self) -> dict:
        def rel(p: Path) -> str:
            return p.relative_to(self.out_dir).as_posix()

        return {
            "residents": self.residents,
            "seed": self.seed,
            "bpjs_rows": self.bpjs_rows,
            "disability_column": self.disability_column,
            "periods": list(self.periods),
            "files": [
                {**asdict(f), "path": rel(f.path), "checksum_path": rel(f.checksum_path)}
                for f in self.files
            ],
            "truth": [
                {**asdict(t), "entries": rel(t.entries), "changes": rel(t.changes)}
                for t in self.truth
            ],
        }

    @classmethod
    def from_json(cls, out_dir: Path, data: dict) -> SampleManifest:
        out_dir = Path(out_dir)
        files = tuple(
            ExtractFile(
                **{**f, "path": out_dir / f["path"], "checksum_path": out_dir / f["checksum_path"]}
            )
            for f in data["files"]
        )
        truth = tuple(
            TruthFiles(
                **{**t, "entries": out_dir / t["entries"], "changes": out_dir / t["changes"]}
            )
            for t in data["truth"]
        )
        return cls(
            out_dir=out_dir,
            sftp_root=out_dir / "sftp",
            truth_root=out_dir / "truth",
            periods=tuple(data["periods"]),
            residents=int(data["residents"]),
            seed=int(data["seed"]),
            bpjs_rows=int(data["bpjs_rows"]),
            files=files,
            truth=truth,
            disability_column=bool(data.get("disability_column", True)),
        )


def load_manifest(out_dir: Path | str) -> SampleManifest | None:
    """The manifest of a sample in ``out_dir``, or ``None`` when there is none or any of its
    files is missing or has another checksum than recorded."""
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = SampleManifest.from_json(
            Path(out_dir), json.loads(path.read_text(encoding="utf-8"))
        )
    except (ValueError, KeyError, TypeError):
        return None
    for f in manifest.files:
        if not f.path.is_file() or not f.checksum_path.is_file():
            return None
        if (
            f.checksum_path.read_text(encoding="ascii").split()[0] != f.sha256
            or f.path.stat().st_size != f.size
        ):
            return None
    for t in manifest.truth:
        if not t.entries.is_file() or not t.changes.is_file():
            return None
    return manifest


def default_bpjs_rows(residents: int) -> int:
    """About the city's ratio (60,000 rows for 2.6 million residents), at least 300."""
    return max(MIN_BPJS_ROWS, round(residents * CITY_BPJS_ROWS / CITY_RESIDENTS))


def cases_per_situation(residents: int) -> int:
    """How many times each situation is planted: 1 below 10,000 residents, 3 at 20,000,
    10 at 2.6 million."""
    return int(min(10, max(1, 1 + math.floor(math.log2(max(residents, 1) / 5000)))))


def _check_periods(periods: list[str]) -> list[str]:
    periods = list(periods)
    if not periods:
        raise InvalidInput("at least one period is needed")
    for p in periods:
        parse_period(p)
    for a, b in itertools.pairwise(periods):
        if b != next_period(a):
            raise InvalidInput(f"periods must be consecutive months: {a} is followed by {b}")
    if len(periods) > MAX_PERIODS:
        raise InvalidInput(f"at most {MAX_PERIODS} periods (planted ages hold for one year)")
    return periods


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def generate(
    out_dir: Path,
    residents: int,
    periods: list[str],
    seed: int = 42,
    bpjs_rows: int | None = None,
    progress: Progress | None = None,
    disability_column: bool = True,
) -> SampleManifest:
    """Write a sample city's extracts for ``periods`` (consecutive ``YYYY-MM``, at most 12)
    under ``out_dir/sftp`` and its ground truth under ``out_dir/truth``.

    ``residents`` is the size of the first Dukcapil extract; ``bpjs_rows`` the size of the
    first BPJS list (default :func:`default_bpjs_rows`). ``disability_column=False`` writes
    the DTSEN extracts without their optional ``DISABILITAS`` column. The same arguments give
    byte-identical files. Raises ``ValueError`` for bad arguments and
    :class:`~devkit.sample.plants.SampleTooSmall` when the population cannot host every
    planted situation.
    """
    periods = _check_periods(periods)
    if residents < MIN_RESIDENTS:
        raise SampleTooSmall(f"at least {MIN_RESIDENTS} residents are needed, got {residents}")
    rows = default_bpjs_rows(residents) if bpjs_rows is None else int(bpjs_rows)
    if rows < 1:
        raise InvalidInput("bpjs_rows must be positive")
    out_dir = Path(out_dir)
    sftp_root, truth_root = out_dir / "sftp", out_dir / "truth"
    _remove_previous(out_dir)
    steps = 3 + 4 * len(periods)
    done = 0

    def report(message: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(message, min(done / steps, 1.0))

    if progress is not None:
        progress("building the population", 0.0)
    pop = build_population(_rng(seed, 1), residents, reference_date(periods[0]))
    report("planting situations")
    bpjs, book = BpjsList.empty(), TruthBook()
    planter = Planter(
        rng=_rng(seed, 2), pop=pop, bpjs=bpjs, book=book, kpjs=KpjAllocator(_rng(seed, 3)),
        periods=periods, per_case=cases_per_situation(residents),
    )  # fmt: skip
    planter.plant_all()
    report("filling the BPJS list")
    planter.fill_background(rows, new_per_period=max(1, round(rows * 0.004)))
    planter.guard(0)
    report("population ready")
    evolution = Evolution(planter)

    files: list[ExtractFile] = []
    truths: list[TruthFiles] = []
    for k, period in enumerate(periods):
        if k:
            evolution.advance(k)
        report(f"{period}: population stepped")
        year, month = period.split("-")
        counts: dict[str, int] = {}
        for s_index, source in enumerate(writer.SOURCES):
            style = writer.style_for(
                source, k, _rng(seed, 10, k, s_index),
                without=() if disability_column else ("DISABILITAS",),
            )  # fmt: skip
            noise = _rng(seed, 20, k, s_index)
            if source is Source.DUKCAPIL:
                tables = writer.dukcapil_tables(pop, noise)
            elif source is Source.DTSEN:
                tables = writer.dtsen_tables(pop, noise, quarter_start(reference_date(period)))
            else:
                previous = f"{int(year) - (month == '01')}-{(int(month) - 2) % 12 + 1:02d}"
                tables = iter([writer.bpjs_table(bpjs.visible(k), period, previous, noise)])
            path = sftp_root / source.value / year / month / SPECS[source].file_name(period)
            written = writer.write_extract(path, tables, style)
            files.append(
                ExtractFile(
                    source.value,
                    period,
                    written.path,
                    written.checksum_path,
                    written.sha256,
                    written.rows,
                    written.size,
                )
            )
            counts[source.value] = written.rows
            report(f"{period}: {source.value} written ({written.rows:,} rows)")
        truths.append(_write_period_truth(truth_root, period, k, planter, counts))

    truth_root.mkdir(parents=True, exist_ok=True)
    (truth_root / "README.md").write_text(README, encoding="utf-8")
    manifest = SampleManifest(
        out_dir=out_dir, sftp_root=sftp_root, truth_root=truth_root, periods=tuple(periods),
        residents=residents, seed=seed, bpjs_rows=rows, files=tuple(files), truth=tuple(truths),
        disability_column=disability_column,
    )  # fmt: skip
    (out_dir / MANIFEST).write_text(
        json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8"
    )
    if progress is not None:
        progress("done", 1.0)
    return manifest


def _remove_previous(out_dir: Path) -> None:
    """Delete the files of a sample previously generated in ``out_dir`` (only those its
    manifest lists), so that no stale period is left in the SFTP tree."""
    path = out_dir / MANIFEST
    if not path.is_file():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        listed = [f[key] for f in data.get("files", []) for key in ("path", "checksum_path")]
        for t in data.get("truth", []):
            listed += [
                t["entries"],
                t["changes"],
                str(Path(t["entries"]).with_name("summary.json")),
            ]
    except (ValueError, KeyError, TypeError):
        return
    root = out_dir.resolve()
    for rel in listed:
        target = (out_dir / rel).resolve()
        if root in target.parents and target.is_file():
            target.unlink()
    path.unlink()


def _write_period_truth(
    truth_root: Path, period: str, k: int, planter: Planter, counts: dict[str, int]
) -> TruthFiles:
    pop, book = planter.pop, planter.book
    city_aktif = planter.bpjs.city_aktif(k)
    participants = participant_frame(city_aktif, book)
    ref = reference_date(period)
    competitors = int(
        (
            pop.in_dukcapil & pop.in_dtsen & (pop.fam_desil[pop.fam] == 1) & pop.fam_pkh[pop.fam]
            & (age_at(pop.dob, ref) == 65)
        ).sum()
    )  # fmt: skip
    guarantee = EnrollGuarantee(default_quota(), len(city_aktif), competitors)
    top = "ENROLL" if guarantee.guaranteed else ENROLL_OR_WAITLIST
    residents = pd.DataFrame(
        {
            "kpj": "",
            "nik": [str(pop.nik[r.pid]) for r in book.residents],
            "expected_decision": [
                top if r.expected == TOP_PRIORITY else r.expected for r in book.residents
            ],
            "expected_reasons": "",
            "case": [r.case for r in book.residents],
            "suggested_nik": "",
        }
    ).sort_values("nik", kind="stable")
    changes = book.changes.get(k, [])
    all_rows = pd.concat([participants, residents], ignore_index=True)
    summary = {
        "period": period,
        "reference_date": ref.isoformat(),
        "extract_rows": counts,
        "participant_rows": len(participants),
        "resident_rows": len(residents),
        "change_rows": len(changes),
        "decisions": all_rows["expected_decision"].value_counts().sort_index().to_dict(),
        "cases": all_rows["case"].value_counts().sort_index().to_dict(),
        "changes_by_type": pd.Series([c[1] for c in changes], dtype=str)
        .value_counts()
        .sort_index()
        .to_dict(),
        "enroll_guarantee": guarantee.as_dict(),
    }
    entries, changes_path = write_truth(
        truth_root / period, participants, residents, changes, summary
    )
    return TruthFiles(period, entries, changes_path, len(all_rows), len(changes))
