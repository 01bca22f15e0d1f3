"""What the report is made from and what it is made of: :class:`ReportData` (the typed
results of a run, and :class:`HistoryReport`, the release's place in the period history)
and the rendered :class:`Report`, its :class:`Section` s, their :class:`Block` s of
Markdown and :class:`Chart` s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from domain.history import VersionDiff
from domain.statistics import CoverageStatistics
from reports.texts import Language


@dataclass
class HistoryReport:
    """The release's place in the period history: what it is built on, the later releases
    it made stale, and (a version after the first) what changed since the previous
    version. No personal data is rendered from it."""

    based_on: str = ""
    #: ``release_id``, ``period``, ``version``, ``because`` of each release made stale
    stale: list[dict] = field(default_factory=list)
    diff: VersionDiff | None = None


@dataclass
class ReportData:
    period: str
    version: int
    release_id: int
    status: str
    rules_version: str
    input_digests: dict[str, str]
    accepted_flags: list[str]
    counts: dict[str, int]
    reason_counts: dict[str, int]
    quota: dict
    entries: pd.DataFrame
    changes: pd.DataFrame
    validations: list = field(default_factory=list)  # tasks.validate.ValidatedExtract
    cases_opened: int = 0
    cases_seen: int = 0
    cases_resolved: int = 0
    escalated: pd.DataFrame | None = None
    verification_problems: int = 0
    monthly_contribution_idr: int = 16_800
    #: why this period's re-verification results file was rejected (nothing of it applied)
    verification_rejected: str | None = None
    #: ``report.language``
    language: Language = "id"
    #: ``domain.statistics.coverage_trend`` over the periods up to this one
    trend: pd.DataFrame | None = None
    annual_budget_idr: int | None = None
    #: ``domain.money.MoneyView.summary``
    money: dict | None = None
    #: the outbox files the report points to (names only)
    finance_file: str | None = None
    open_data_file: str | None = None
    open_data_dictionary: str | None = None
    #: ``{"threshold", "withheld", "cells"}`` of the open-data table
    open_data: dict | None = None
    #: computed from ``entries`` when not given
    statistics: CoverageStatistics | None = None
    history: HistoryReport | None = None


@dataclass(frozen=True)
class Chart:
    key: str
    svg: str


@dataclass(frozen=True)
class Block:
    """Markdown and the charts that follow it in the HTML (the Markdown file has none)."""

    body: str
    charts: tuple[Chart, ...] = ()


@dataclass(frozen=True)
class Section:
    """One part of the report: a ``##`` heading and its blocks."""

    key: str
    title: str
    blocks: tuple[Block, ...]

    @classmethod
    def of(cls, key: str, title: str, body: str, charts: tuple[Chart, ...] = ()) -> Section:
        return cls(key, title, (Block(body, tuple(charts)),))

    @property
    def body(self) -> str:
        return "\n\n".join(b.body.strip() for b in self.blocks if b.body.strip())

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(c for b in self.blocks for c in b.charts)


@dataclass(frozen=True)
class Report:
    markdown: str
    html: str
    sections: tuple[Section, ...]

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(c for s in self.sections for c in s.charts)
