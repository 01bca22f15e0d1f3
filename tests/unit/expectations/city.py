"""A small generated city (``devkit.sample``, one period), validated and reconciled the
way a monthly run does it, for the tests that change BPJS lines and look at what becomes
of the participants (issue 15: nothing lost).

The clean city is built once per test module (:func:`build_city`); each test writes a
changed copy of the BPJS file under its own folder and reconciles it with the clean
Dukcapil and DTSEN rows. The quota leaves five free places: a participant lost from the
participants would free a place that an eligible resident then takes (ENROLL grows).
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from connectors.extract_file import read_extract
from domain.codes import Source
from domain.extracts import BPJSTK, SPECS, ExtractSpec
from domain.reconcile import ReconcileInputs, Reconciliation, reconcile
from domain.rules import RuleParameters
from expectations.parse import parse_extract
from expectations.validate import ValidationOutcome, validate_extract

PERIOD = "2026-10"
RESIDENTS = 1_000
SEED = 7
CAP = 50_000_000
#: free places the quota leaves after the clean city's participants
HEADROOM = 5
_FILES = itertools.count()


@dataclass
class City:
    root: Path
    files: dict[str, Path]
    #: the accepted rows of the clean extracts, by source
    frames: dict[str, pd.DataFrame]
    params: RuleParameters
    clean: Reconciliation

    # ------------------------------------------------------------------ BPJS lines
    def bpjs_lines(self) -> list[str]:
        """The clean BPJS file's lines (header first), without line ends."""
        return gzip.decompress(self.files["bpjstk"].read_bytes()).decode("utf-8").split("\n")

    def header(self) -> list[str]:
        return self.bpjs_lines()[0].split("|")

    def line_of(self, kpj: str) -> int:
        """The 0-based index in :meth:`bpjs_lines` of the row with this KPJ."""
        at = self.header().index("KPJ")
        for i, line in enumerate(self.bpjs_lines()):
            fields = line.split("|")
            if len(fields) > at and fields[at] == kpj:
                return i
        raise KeyError(kpj)

    def with_value(self, lines: list[str], kpj: str, column: str, value: str) -> list[str]:
        out = list(lines)
        i = self.line_of(kpj)
        fields = out[i].split("|")
        fields[self.header().index(column)] = value
        out[i] = "|".join(fields)
        return out

    def write(self, lines: list[str] | bytes, name: str | None = None) -> Path:
        """A delivery in a folder of its own: these lines gzip-compressed, or these bytes
        exactly as given (already what is on disk)."""
        folder = self.root / "variants" / str(next(_FILES))
        folder.mkdir(parents=True)
        if isinstance(lines, bytes):
            stored = lines
        else:
            stored = gzip.compress("\n".join(lines).encode("utf-8"), mtime=0)
        path = folder / (name or BPJSTK.file_name(PERIOD))
        path.write_bytes(stored)
        return path

    # ------------------------------------------------------------------ steps
    def validate(self, path: Path, spec: ExtractSpec = BPJSTK, **limits) -> ValidationOutcome:
        return validate_extract(
            path,
            spec,
            PERIOD,
            work_dir=path.parent / "run",
            max_reject_share=limits.get("max_reject_share", 1.0),
            row_count_tolerance=0.10,
            previous_rows=None,
            max_uncompressed_bytes=CAP,
        )

    def accepted(self, path: Path, spec: ExtractSpec = BPJSTK) -> pd.DataFrame:
        """The accepted rows as validation hands them over (without Great Expectations)."""
        raw = read_extract(path, spec, max_uncompressed_bytes=CAP)
        return parse_extract(raw, spec, PERIOD).accepted_frame()

    def reconcile(self, **frames: pd.DataFrame) -> Reconciliation:
        merged = {**self.frames, **frames}
        return reconcile(ReconcileInputs.from_frames(PERIOD, merged), self.params)


def build_city(root: Path) -> City:
    from devkit.sample import generate

    manifest = generate(root / "sample", residents=RESIDENTS, periods=[PERIOD], seed=SEED)
    files = {str(s): manifest.file(s, PERIOD).path for s in Source}
    frames = {}
    for source in Source:
        raw = read_extract(files[str(source)], SPECS[source], max_uncompressed_bytes=CAP)
        frames[str(source)] = parse_extract(raw, SPECS[source], PERIOD).accepted_frame()
    probe = reconcile(ReconcileInputs.from_frames(PERIOD, frames), RuleParameters())
    params = dataclasses.replace(RuleParameters(), quota=probe.quota.places_used + HEADROOM)
    clean = reconcile(ReconcileInputs.from_frames(PERIOD, frames), params)
    return City(root=root, files=files, frames=frames, params=params, clean=clean)


def decisions_by_kpj(result: Reconciliation) -> pd.Series:
    entries = result.entries
    return entries[entries["kpj"].notna()].set_index("kpj")["decision"]
