"""Progress and timings of a run's stages: a Prefect progress artifact that moves as the
run goes (visible in the UI, its description says the percentage and the stage), a log
line per stage, and wall time and peak memory per stage for the report and the
benchmark."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from prefect.artifacts import ProgressArtifact
from prefect.logging import get_run_logger

from core.memory import PeakSampler, release_memory
from tasks.artifacts import key_for, put


@dataclass
class StageTiming:
    stage: str
    seconds: float
    peak_rss_bytes: int


@dataclass
class StageProgress:
    period: str
    stages: list[str]
    timings: list[StageTiming] = field(default_factory=list)
    _shown: bool = False

    def __post_init__(self) -> None:
        self._shown = self._show(0, "starting")

    def _show(self, done: int, note: str) -> bool:
        """The progress artifact (one per run: a retry's replaces the failed attempt's)."""
        percent = 100.0 * done / len(self.stages)
        try:
            put(
                ProgressArtifact(
                    key=key_for("progress", self.period),
                    progress=percent,
                    description=(
                        f"Monthly reconciliation {self.period}: {percent:.0f}% "
                        f"({done} of {len(self.stages)} stages: {note})"
                    ),
                )
            )
        except Exception:  # noqa: BLE001 - no API (a plain call in a unit test): optional
            return False
        return True

    @contextmanager
    def stage(self, name: str):
        logger = get_run_logger()
        index = self.stages.index(name)
        logger.info("stage %d/%d: %s ...", index + 1, len(self.stages), name)
        start = time.perf_counter()
        with PeakSampler() as sampler:
            yield
            release_memory()
        seconds = time.perf_counter() - start
        self.timings.append(StageTiming(name, seconds, sampler.peak))
        logger.info(
            "stage %s done in %.1f s (peak memory %.0f MiB)", name, seconds, sampler.peak / 2**20
        )
        if self._shown:
            done = index + 1
            following = self.stages[done] if done < len(self.stages) else None
            self._show(done, f"{name} done" + (f", {following} next" if following else ""))
