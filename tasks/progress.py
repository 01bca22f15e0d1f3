"""Progress and timings of a run's stages: a Prefect progress artifact that moves as the
run goes (visible in the UI), a log line per stage, and wall time and peak memory per
stage for the report and the benchmark."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.logging import get_run_logger

from core.memory import PeakSampler, release_memory


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
    _artifact_id: object = None

    def __post_init__(self) -> None:
        try:
            self._artifact_id = create_progress_artifact(
                progress=0.0,
                key=f"progress-{self.period.replace('-', '')}",
                description=f"Monthly reconciliation {self.period}: stages {', '.join(self.stages)}",
            )
        except Exception:  # no API (plain function call in a unit test): progress is optional
            self._artifact_id = None

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
        if self._artifact_id is not None:
            update_progress_artifact(self._artifact_id, progress=100.0 * (index + 1) / len(self.stages))
