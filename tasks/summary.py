"""What a monthly run did (``RunSummary``): rendered by the CLI, the report, the Prefect
artifacts and the run's final state; no personal data."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.codes import PublishStatus
from domain.worklist import worklists_due
from reports.texts import percent

__all__ = ["RunSummary"]


@dataclass
class RunSummary:
    """What a monthly run did: rendered by the CLI, the report and the artifacts."""

    period: str
    status: str  # PUBLISHED | UNCHANGED
    release_id: int
    version: int
    superseded_release_id: int | None
    rules_version: str
    counts: dict[str, int]
    reason_counts: dict[str, int]
    quota: dict
    validations: list = field(default_factory=list)
    changes: int = 0
    changes_by_type: dict[str, int] = field(default_factory=dict)
    reverification_triggers: int = 0
    cases_opened: int = 0
    cases_seen: int = 0
    cases_resolved: int = 0
    cases_escalated: int = 0
    jkm_claim_alerts: int = 0
    verification_problems: int = 0
    #: why this period's re-verification results file was rejected (nothing of it applied)
    verification_rejected: str | None = None
    accepted_flags: list[str] = field(default_factory=list)
    database: str = ""
    outbox: str = ""
    outbox_files: list[str] = field(default_factory=list)
    report_md: str | None = None
    report_html: str | None = None
    #: what this run completed of earlier runs' deliveries (None: nothing was pending)
    deliveries: str | None = None
    timings: list = field(default_factory=list)
    #: decisions per kecamatan (rows of counts, no personal data)
    kecamatan_table: list[dict] = field(default_factory=list)
    #: ``domain.statistics.totals`` plus women's and disability's covered/eligible
    coverage: dict = field(default_factory=dict)
    #: the money view's summary (``domain.money``)
    money: dict = field(default_factory=dict)
    #: the release this one is built on (``None``: the registry's first period)
    based_on_release_id: int | None = None
    based_on: str = ""
    #: the later releases this run made stale: ``release_id``, ``period``, ``version``,
    #: ``because`` (one sentence)
    stale: list[dict] = field(default_factory=list)
    #: for a version after the first: what changed since the previous version (counts,
    #: digests, base; no personal data) and the outbox file with the people
    version_diff: dict | None = None
    #: with ``--cascade``: the later stale periods re-run after this one
    cascade: list[dict] = field(default_factory=list)

    @property
    def needs_reverification(self) -> bool:
        """The kelurahan worklists are due (``domain.worklist.worklists_due``)."""
        return worklists_due(self.cases_opened, self.cases_seen, self.reverification_triggers)

    def headline(self) -> str:
        counts = ", ".join(f"{k} {v:,}" for k, v in self.counts.items())
        if self.status == PublishStatus.UNCHANGED:
            return (
                f"{self.period}: same inputs, rules and base release as release v{self.version} "
                f"(id {self.release_id}): nothing new published"
            )
        superseded = f", supersedes id {self.superseded_release_id}" if self.superseded_release_id else ""
        return f"{self.period}: published release v{self.version} (id {self.release_id}{superseded}): {counts}"

    def history_lines(self) -> list[str]:
        """What the release is built on, what this run made stale, what changed since the
        previous version, and the cascade (no personal data)."""
        out = [f"built on: {self.based_on or 'nothing (the registry first period)'}"]
        if self.version_diff:
            d = self.version_diff
            inputs = ", ".join(d.get("digests_changed", [])) or "none"
            base = "changed" if d.get("base_changed") else "unchanged"
            pairs = "; ".join(f"{k} {v:,}" for k, v in d.get("counts", {}).items()) or "none"
            out.append(
                f"since v{d.get('from_version')}: inputs changed: {inputs}; base release {base}; "
                f"decision changes: {pairs}"
            )
        if self.stale:
            names = ", ".join(f"{s['period']} v{s['version']} (id {s['release_id']})" for s in self.stale)
            first = min(s["period"] for s in self.stale)
            out.append(
                f"made stale: {names}: re-run them in order "
                f"(`sigap run --period {first} --cascade`)"
            )
        for step in self.cascade:
            out.append(f"cascade: {step['period']} {step['status']} v{step['version']} (id {step['release_id']})")
        return out

    def lines(self) -> list[str]:
        q = self.quota
        out = [
            self.headline(),
            (
                f"quota: cap {q.get('cap', 0):,}, used {q.get('places_used', 0):,}, "
                f"free {q.get('free_places', 0):,}; monthly cost Rp{q.get('monthly_cost_idr', 0):,}, "
                f"annual Rp{q.get('annual_cost_idr', 0):,}"
            ),
            "validation: "
            + "; ".join(
                f"{v.source} {v.rows_accepted:,}/{v.rows_total:,} accepted, {v.rows_rejected:,} rejected"
                for v in self.validations
            ),
            *self._validation_details(),
            (
                f"changes: {self.changes:,}; re-verification cases opened {self.cases_opened:,}, "
                f"seen again {self.cases_seen:,}, resolved {self.cases_resolved:,}, "
                f"escalated {self.cases_escalated:,}; JKM claim alerts {self.jkm_claim_alerts:,}"
            ),
            *self.history_lines(),
            f"registry: {self.database}",
            f"outbox: {self.outbox}",
        ]
        c = self.coverage
        if c:
            women = f"; women {c['women_covered']:,} of {c['women_eligible']:,}"
            disability = (
                f"; with a disability {c['disability_covered']:,} of {c['disability_eligible']:,}"
                if c.get("disability_available")
                else "; disability: not in the DTSEN extract"
            )
            out.insert(
                2,
                f"coverage: {c['covered']:,} of {c['eligible']:,} eligible covered "
                f"({percent(c['coverage_rate'], 'en')}){women}{disability}",
            )
        m = self.money
        if m:
            out.insert(
                3,
                f"money: billed Rp{m['billed']['idr']:,} against the registry's "
                f"Rp{m['registry_cost_idr']:,}; to recover: {m['to_recover']['people']:,} people, "
                f"{m['to_recover']['months']:,} months, Rp{m['to_recover']['idr']:,}; "
                f"in arrears: {m['arrears']['people']:,} (Rp{m['arrears']['idr']:,}); "
                f"contribution differs: {m['contribution_differs']['rows']:,}",
            )
        if self.verification_rejected:
            out.insert(
                out.index(f"registry: {self.database}"),
                f"re-verification results file rejected: {self.verification_rejected}; "
                "nothing of it was applied",
            )
        if self.report_md:
            out.append(f"report: {self.report_md}")
        if self.deliveries:
            out.append(self.deliveries)
        return out

    def _validation_details(self) -> list[str]:
        """Per extract: rows removed and rows kept with a value nulled, by rule (most
        frequent first), and the extra columns (escaped at validation)."""
        out = []
        for v in self.validations:
            removed = getattr(v, "rejects_by_rule", {}) or {}
            kept = getattr(v, "repairs_by_rule", {}) or {}
            if v.rows_rejected:
                out.append(f"{v.source}: {v.rows_rejected:,} rows removed ({_by_rule(removed)})")
            if getattr(v, "rows_repaired", 0):
                out.append(
                    f"{v.source}: {v.rows_repaired:,} rows kept with a value nulled ({_by_rule(kept)})"
                )
            if getattr(v, "extra_columns", None):
                out.append(f"{v.source}: extra columns ignored: {', '.join(v.extra_columns)}")
        return out


def _by_rule(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {n:,}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
