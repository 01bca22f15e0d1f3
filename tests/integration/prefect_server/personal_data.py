"""The personal data of a generated sample, and a scanner that finds it in text.

What the orchestrator shows (artifacts, logs, run and task names, state messages) must
carry no full NIK and no name (UU 27/2022; PROGRAM.md "Personal data"). The scanner looks
for every 16-digit number of the sample's extracts (NIKs, and family-card numbers, which
must not appear either) and for the residents' and participants' full names (two words or
more, compared after upper-casing and collapsing spaces). Its findings are reported
masked (``domain.privacy``), so that a failing test does not leak what it found.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from domain.codes import Source
from domain.privacy import mask_name, mask_nik

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
_DIGIT_RUN = re.compile(r"\d{16,}")
_SPACES = re.compile(r"\s+")
#: the name column of each extract
NAME_COLUMNS = {Source.DUKCAPIL: "NAMA_LGKP", Source.BPJSTK: "NAMA", Source.DTSEN: "NAMA"}


@dataclass(frozen=True)
class PersonalData:
    """Identifiers and names of a sample, to look for where they must not be."""

    niks: frozenset[str]
    names: tuple[str, ...]


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text.upper()).strip()


def _read_text(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return fh.read()


def collect_personal_data(files: Iterable, *, max_names: int = 5_000) -> PersonalData:
    """Every 16-digit number and up to ``max_names`` full names (2+ words, Dukcapil's
    first) of the sample's extract files (``SampleManifest.files``)."""
    niks: set[str] = set()
    by_source: dict[str, list[str]] = {str(s): [] for s in NAME_COLUMNS}
    for extract in files:
        text = _read_text(Path(extract.path))
        niks.update(_SIXTEEN_DIGITS.findall(text))
        column = NAME_COLUMNS.get(Source(extract.source))
        frame = pd.read_csv(io.StringIO(text), sep="|", dtype=str, keep_default_na=False)
        frame.columns = [c.strip().upper() for c in frame.columns]
        if column in frame.columns:
            by_source[str(extract.source)].extend(frame[column].map(normalise))
    names: list[str] = []
    seen: set[str] = set()
    for source in (Source.DUKCAPIL, Source.BPJSTK, Source.DTSEN):
        for name in sorted(set(by_source[str(source)])):
            if len(name.split()) >= 2 and name not in seen:
                seen.add(name)
                names.append(name)
    return PersonalData(niks=frozenset(niks), names=tuple(names[:max_names]))


def find_leaks(texts: Iterable[tuple[str, str]], personal: PersonalData) -> list[str]:
    """``where: what`` (masked) for every NIK or name of ``personal`` found in the
    ``(where, text)`` pairs; a NIK is found inside a longer run of digits too."""
    found: list[str] = []
    for where, text in texts:
        for run in _DIGIT_RUN.findall(text):
            for start in range(len(run) - 15):
                if run[start : start + 16] in personal.niks:
                    found.append(f"{where}: NIK {mask_nik(run[start : start + 16])}")
        flat = normalise(text)
        for name in personal.names:
            if name in flat and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", flat):
                found.append(f"{where}: name {mask_name(name)}")
    return found
