"""The run report (``laporan_YYYYMM_vN.md`` and ``.html``), rendered from typed results.

The report reads in Bahasa Indonesia (``report.language = "id"``, the default) or English
(``"en"``); every word comes from :mod:`reports.texts`. It is a list of sections
(:func:`report_sections`), each a Markdown body and its charts:

* the Markdown file is the sections' Markdown, for reading anywhere (Git, the Prefect UI);
* the HTML file is one offline page (no script, no CDN, no external file): the same
  Markdown rendered to HTML by markdown-it (raw HTML disabled: every value is escaped),
  each section followed by its charts drawn as inline SVG, laid out by a Jinja2 template
  (``reports/templates/laporan.html.j2``, autoescaped).

No full NIK or name appears in the report (escalated cases show masked NIKs); kelurahan
and kecamatan names come from the Kemendagri reference. The coverage figures are not
suppressed (the report is for the city's own use); the publishable figures are the
open-data file's (``domain.open_data``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pandas as pd

from domain.codes import Decision
from domain.history import VersionDiff
from domain.privacy import mask_nik_series
from domain.reference import city_kelurahan
from domain.statistics import (
    UNKNOWN,
    CoverageStatistics,
    coverage_statistics,
    occupation_names,
)
from reports.texts import (
    CATEGORY_LABELS,
    CHANGE_LABELS,
    DECISION_LABELS,
    KATEGORI_LABELS,
    MONEY_LABELS,
    REASON_LABELS,
    Language,
    label,
    number,
    percent,
    rupiah,
    text,
)

__all__ = [
    "Block",
    "Chart",
    "Report",
    "ReportData",
    "Section",
    "decisions_by_kecamatan",
    "desil_mix",
    "render_html",
    "render_markdown",
    "render_report",
    "report_sections",
    "rupiah",
]

DECISIONS = [d.value for d in Decision]
_COLOURS = {
    "KEEP": "#2e7d32",
    "REVERIFY": "#f9a825",
    "TERMINATE": "#c62828",
    "ENROLL": "#1565c0",
    "WAITLIST": "#90a4ae",
}
#: the coverage charts: covered (KEEP + REVERIFY), ENROLL, WAITLIST
_COVERAGE_COLOURS = {"covered": "#2e7d32", "enroll": "#1565c0", "waitlist": "#90a4ae"}
#: occupations listed in the report (those with the most eligible people)
TOP_OCCUPATIONS = 12


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


# -- tables ------------------------------------------------------------------------------------
def decisions_by_kecamatan(entries: pd.DataFrame) -> pd.DataFrame:
    """Counts per kecamatan (rows) and decision (columns), kecamatan by name."""
    names = city_kelurahan().drop_duplicates("kode_kecamatan").set_index("kode_kecamatan")["nama_kecamatan"]
    kec = entries["kode_kecamatan"].astype("string").fillna("(tidak diketahui)")
    table = pd.crosstab(kec, entries["decision"]).reindex(columns=DECISIONS, fill_value=0)
    table.index = [f"{k} {names.get(k, '')}".strip() for k in table.index]
    table.index.name = "kecamatan"
    table["TOTAL"] = table.sum(axis=1)
    return table


def desil_mix(entries: pd.DataFrame, language: Language = "id") -> pd.DataFrame:
    """Counts per desil (1..10 in order, then unknown) and decision."""
    desil = entries["desil"].astype("Int64").fillna(99)
    table = pd.crosstab(desil, entries["decision"]).reindex(columns=DECISIONS, fill_value=0).sort_index()
    table.index = [
        text("desil_n", language, n=d if d != 99 else text("unknown", language)) for d in table.index
    ]
    return table


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[object]], align: str = "") -> str:
    """A Markdown table; ``align``: one character per column, ``r`` right-aligned."""
    marks = ["---:" if align[i : i + 1] == "r" else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _coverage_rows(
    table: pd.DataFrame, labels: dict[str, str], lang: Language, *, skip_empty: bool = False
) -> list[list[object]]:
    rows = []
    for code, r in table.iterrows():
        if skip_empty and r["eligible"] == 0:
            continue
        rows.append(
            [labels.get(str(code), str(code)), number(r["eligible"], lang), number(r["covered"], lang),
             number(r["enroll"], lang), number(r["waitlist"], lang),
             percent(None if pd.isna(r["coverage_rate"]) else float(r["coverage_rate"]), lang)]
        )  # fmt: skip
    return rows


def _coverage_table(
    table: pd.DataFrame, labels: dict[str, str], lang: Language, first: str, **kw
) -> str:
    header = [first] + [text(k, lang) for k in ("col_eligible", "col_covered", "col_enroll",
                                                "col_waitlist", "col_coverage")]  # fmt: skip
    return _md_table(header, _coverage_rows(table, labels, lang, **kw), "lrrrrr")


def _category_labels(codes, lang: Language, catalogue=CATEGORY_LABELS) -> dict[str, str]:
    return {str(c): label(catalogue, str(c), lang) for c in codes}


# -- sections ------------------------------------------------------------------------------------
def _stats(data: ReportData) -> CoverageStatistics:
    return data.statistics if data.statistics is not None else coverage_statistics(data.entries)


def _summary(data: ReportData, stats: CoverageStatistics) -> Section:
    lang = data.language
    t = stats.totals
    lines = [
        text("summary_coverage", lang, eligible=number(t["eligible"], lang),
             covered=number(t["covered"], lang), rate=percent(t["coverage_rate"], lang),
             enroll=number(t["enroll"], lang), waitlist=number(t["waitlist"], lang)),
    ]  # fmt: skip
    sex = stats.tables["jenis_kelamin"]
    lines.append(
        text("summary_women", lang, covered=number(sex.loc["P", "covered"], lang),
             eligible=number(sex.loc["P", "eligible"], lang), rate=percent(sex.loc["P", "coverage_rate"], lang),
             m_covered=number(sex.loc["L", "covered"], lang), m_eligible=number(sex.loc["L", "eligible"], lang),
             m_rate=percent(sex.loc["L", "coverage_rate"], lang))
    )  # fmt: skip
    if stats.disability_available:
        dis = stats.tables["disabilitas"]
        lines.append(
            text("summary_disability", lang, covered=number(dis.loc["YA", "covered"], lang),
                 eligible=number(dis.loc["YA", "eligible"], lang), rate=percent(dis.loc["YA", "coverage_rate"], lang))
        )  # fmt: skip
    else:
        lines.append(text("disability_not_available", lang))
    if data.money:
        m = data.money
        lines.append(
            text("summary_money", lang, billed=rupiah(m["billed"]["idr"]), registry=rupiah(m["registry_cost_idr"]),
                 recover_people=number(m["to_recover"]["people"], lang),
                 recover_months=number(m["to_recover"]["months"], lang), recover_idr=rupiah(m["to_recover"]["idr"]),
                 arrears=number(m["arrears"]["people"], lang))
        )  # fmt: skip
    body = "\n".join(f"- {line}" for line in lines) + "\n\n" + text("definitions", lang)
    body += "\n\n" + text("no_personal_data", lang)
    return Section.of("summary", text("h_summary", lang), body)


def _version_changes(data: ReportData) -> Section | None:
    """The release's place in the period history: the release it is built on, the later
    releases it made stale, and for a version after the first what changed since the
    previous version (inputs by digest, rules, base release, decision changes by old ->
    new decision; the people are in ``perubahan_keputusan_YYYYMM_vN.csv``)."""
    history = data.history
    if history is None:
        return None
    lang = data.language
    parts = [text("history_based_on", lang, base=history.based_on or text("history_first", lang))]
    if history.stale:
        first = min(s["period"] for s in history.stale)
        parts += ["", text("history_stale", lang, period=first), ""]
        parts += [
            f"- {s['period']} v{s['version']} (release {s['release_id']}): {s['because']}"
            for s in history.stale
        ]
    diff = history.diff
    if diff is not None:
        parts += ["", f"### {text('history_since', lang, version=diff.from_release.version)}", ""]
        if diff.digests_changed:
            rows = [
                [k, (old or "-")[:16], (new or "-")[:16]]
                for k, (old, new) in sorted(diff.digests_changed.items())
            ]
            header = [text("col_input", lang), text("col_before", lang), text("col_now", lang)]
            parts += [text("history_inputs_changed", lang), "", _md_table(header, rows), ""]
        else:
            parts += [text("history_inputs_same", lang), ""]
        if diff.rules_changed:
            parts.append(
                text("history_rules", lang, old=diff.rules_changed[0], new=diff.rules_changed[1])
            )
        if diff.base_changed:
            old, new = diff.base_changed
            parts.append(text("history_base_changed", lang, old=old or "-", new=new or "-"))
        else:
            parts.append(text("history_base_same", lang))
        parts.append("")
        if diff.counts:
            file = f"perubahan_keputusan_{diff.period.replace('-', '')}_v{diff.to_release.version}.csv"
            rows = [[change, number(n, lang)] for change, n in diff.counts.items()]
            header = [text("col_decision_change", lang), text("col_people", lang)]
            parts += [
                text("history_people", lang, people=number(diff.people_changed, lang), file=file),
                "",
                _md_table(header, rows, "lr"),
            ]
        else:
            parts.append(text("history_no_change", lang))
    return Section.of("history", text("h_history", lang), "\n".join(parts))


def _decisions(data: ReportData) -> Section:
    lang = data.language
    rows = [[f"`{d}`", label(DECISION_LABELS, d, lang), number(n, lang)] for d, n in data.counts.items()]
    body = _md_table(
        [text("col_decision", lang), text("col_meaning", lang), text("col_people", lang)], rows, "llr"
    )
    return Section.of("decisions", text("h_decisions", lang), body)


def _quota(data: ReportData) -> Section:
    lang, q = data.language, data.quota
    budget_part = (
        text("quota_budget_part", lang, budget_cap=number(q.get("budget_cap"), lang))
        if q.get("budget_cap") is not None
        else ""
    )
    lines = [
        text("quota_cap", lang, cap=number(q.get("cap", 0), lang), quota=number(q.get("quota", 0), lang),
             budget_part=budget_part),
        text("quota_used", lang, used=number(q.get("places_used", 0), lang), free=number(q.get("free_places", 0), lang)),
        text("quota_new", lang, enrolled=number(q.get("enrolled", 0), lang), waitlisted=number(q.get("waitlisted", 0), lang)),
        text("quota_cost", lang, monthly=rupiah(q.get("monthly_cost_idr")), annual=rupiah(q.get("annual_cost_idr")),
             contribution=rupiah(data.monthly_contribution_idr)),
    ]  # fmt: skip
    budget = data.annual_budget_idr if data.annual_budget_idr is not None else q.get("annual_budget_idr")
    if budget:
        lines.append(text("quota_budget", lang, budget=rupiah(budget), covers=number(q.get("budget_covers"), lang)))
    else:
        lines.append(text("quota_no_budget", lang))
    charts = (Chart("places", _svg_budget(q, lang)),)
    return Section.of("quota", text("h_quota", lang), "\n".join(f"- {x}" for x in lines), charts)


def _coverage(data: ReportData, stats: CoverageStatistics) -> Section:
    lang = data.language
    cat = text("col_category", lang)
    blocks: list[Block] = []
    if data.open_data_file:
        blocks.append(Block(text("internal_counts", lang, file=data.open_data_file)))
    for key, name, chart in (
        ("h_by_sex", "jenis_kelamin", "chart_sex"),
        ("h_by_age", "kelompok_umur", "chart_age"),
        ("h_by_occupation_group", "kelompok_pekerjaan", "chart_occupation"),
    ):
        table = stats.tables[name]
        labels = _category_labels(table.index, lang)
        blocks.append(
            Block(f"### {text(key, lang)}\n\n" + _coverage_table(table, labels, lang, cat),
                  (Chart(name, _svg_coverage(table, labels, text(chart, lang), lang)),))
        )  # fmt: skip
    # occupations with the most eligible people, and women by occupation
    names = occupation_names().to_dict()
    names[UNKNOWN] = text("unknown", lang)
    jobs = stats.tables["pekerjaan"].sort_values(["eligible", "covered"], ascending=False)
    jobs = jobs[jobs["eligible"] > 0].head(TOP_OCCUPATIONS)
    blocks.append(Block(f"### {text('h_by_occupation', lang)}\n\n" + _coverage_table(jobs, names, lang, cat)))
    women = stats.women_by_occupation.sort_values(["eligible", "covered"], ascending=False)
    women = women[women["eligible"] > 0].head(TOP_OCCUPATIONS)
    blocks.append(
        Block(f"### {text('h_women_by_occupation', lang)}\n\n" + _coverage_table(women, names, lang, cat))
    )
    kategori = stats.tables["kategori"]
    kategori_labels = _category_labels(kategori.index, lang, KATEGORI_LABELS) | {UNKNOWN: text("none", lang)}
    blocks.append(
        Block(f"### {text('h_by_category', lang)}\n\n"
              + _coverage_table(kategori, kategori_labels, lang, cat, skip_empty=True))
    )  # fmt: skip
    heading = f"### {text('h_by_disability', lang)}\n\n"
    if stats.disability_available:
        table = stats.tables["disabilitas"]
        labels = _category_labels(table.index, lang)
        blocks.append(
            Block(heading + _coverage_table(table, labels, lang, cat),
                  (Chart("disabilitas", _svg_coverage(table, labels, text("chart_disability", lang), lang)),))
        )  # fmt: skip
    else:
        blocks.append(Block(heading + text("disability_not_available", lang)))
    # geography
    ref = city_kelurahan()
    kec_names = ref.drop_duplicates("kode_kecamatan").set_index("kode_kecamatan")["nama_kecamatan"].to_dict()
    kec = stats.tables["kode_kecamatan"]
    kec_labels = {k: f"{k} {kec_names.get(k, '')}".strip() for k in kec.index} | {UNKNOWN: text("unknown", lang)}
    blocks.append(
        Block(f"### {text('h_by_kecamatan', lang)}\n\n"
              + _coverage_table(kec, kec_labels, lang, text("col_kecamatan", lang), skip_empty=True),
              (Chart("kecamatan_coverage", _svg_coverage(kec[kec["eligible"] > 0], kec_labels,
                                                         text("chart_coverage_kecamatan", lang), lang)),))
    )  # fmt: skip
    kel = stats.tables["kode_kelurahan"]
    kel_names = ref.set_index("kode_kelurahan")["nama_kelurahan"].to_dict()
    kel_labels = {k: f"{k} {kel_names.get(k, '')}".strip() for k in kel.index} | {UNKNOWN: text("unknown", lang)}
    blocks.append(
        Block(f"### {text('h_by_kelurahan', lang)}\n\n"
              + _coverage_table(kel, kel_labels, lang, text("col_kelurahan", lang)))
    )  # fmt: skip
    return Section("coverage", text("h_coverage", lang), tuple(blocks))


def _waitlist(data: ReportData, stats: CoverageStatistics) -> Section:
    lang = data.language
    total = int(stats.totals["waitlist"] or 0)
    if not total:
        return Section.of("waitlist", text("h_waitlist", lang), text("waitlist_empty", lang))
    parts = [text("waitlist_total", lang, people=number(total, lang)), ""]
    headings = {
        "jenis_kelamin": "h_by_sex", "kelompok_umur": "h_by_age",
        "kelompok_pekerjaan": "h_by_occupation_group", "desil": "col_desil", "disabilitas": "h_by_disability",
    }  # fmt: skip
    for name, frame in stats.waitlist.items():
        if name == "disabilitas" and not stats.disability_available:
            continue
        shown = frame[frame["people"] > 0]
        labels = _category_labels(shown.index, lang)
        if name == "desil":
            labels = {c: (text("desil_n", lang, n=c) if c != UNKNOWN else text("unknown", lang)) for c in shown.index}
        rows = [[labels[str(c)], number(r["people"], lang), percent(r["share"], lang)] for c, r in shown.iterrows()]
        parts += [f"### {text(headings[name], lang)}", "",
                  _md_table([text("col_category", lang), text("col_people", lang), text("col_share", lang)], rows, "lrr"),
                  ""]  # fmt: skip
    return Section.of("waitlist", text("h_waitlist", lang), "\n".join(parts).rstrip())


def _trend(data: ReportData) -> Section:
    lang = data.language
    trend = data.trend
    parts = [text("trend_note", lang), ""]
    budget = data.annual_budget_idr
    parts += [text("trend_budget", lang, budget=rupiah(budget)) if budget else text("quota_no_budget", lang), ""]
    charts: list[Chart] = []
    if trend is not None and len(trend):
        header = [text(k, lang) for k in ("col_period", "col_version", "col_eligible", "col_covered",
                                           "col_coverage", "col_monthly_cost", "col_billed", "col_ytd",
                                           "col_budget_used", "col_annualised")]  # fmt: skip
        rows = [
            [r.period, r.version, number(r.eligible, lang), number(r.covered, lang), percent(r.coverage_rate, lang),
             rupiah(r.monthly_cost_idr), rupiah(None if pd.isna(r.billed_idr) else r.billed_idr),
             rupiah(r.year_to_date_cost_idr), percent(None if pd.isna(r.budget_used_share) else r.budget_used_share, lang),
             rupiah(r.annualised_cost_idr)]
            for r in trend.itertuples()
        ]  # fmt: skip
        parts.append(_md_table(header, rows, "lrrrrrrrrr"))
        charts.append(Chart("trend_coverage", _svg_trend_coverage(trend, lang)))
        charts.append(Chart("trend_cost", _svg_trend_cost(trend, budget, lang)))
    return Section.of("trend", text("h_trend", lang), "\n".join(parts).rstrip(), tuple(charts))


def _money(data: ReportData) -> Section:
    lang = data.language
    m = data.money
    if not m:
        return Section.of("money", text("h_money", lang), text("money_not_available", lang))
    by = m["billed"]["by_decision_idr"]
    parts = [
        text("money_billed", lang, billed=rupiah(m["billed"]["idr"]), rows=number(m["billed"]["rows"], lang),
             registry=rupiah(m["registry_cost_idr"]), difference=rupiah(m["difference_idr"])),
        "",
        text("money_by_decision", lang, keep=rupiah(by.get("KEEP")), reverify=rupiah(by.get("REVERIFY")),
             terminate=rupiah(by.get("TERMINATE"))),
        "",
    ]  # fmt: skip
    header = [text(k, lang) for k in ("col_situation", "col_meaning", "col_people", "col_months", "col_rupiah")]
    rows = [
        ["`CONTRIBUTION_DIFFERS`", label(MONEY_LABELS, "CONTRIBUTION_DIFFERS", lang),
         number(m["contribution_differs"]["rows"], lang), "-", rupiah(m["contribution_differs"]["difference_idr"])],
        ["`TERMINATION_PENDING_BILLED`", label(MONEY_LABELS, "TERMINATION_PENDING_BILLED", lang),
         number(m["termination_pending"]["people"], lang), number(m["termination_pending"]["months"], lang),
         rupiah(m["termination_pending"]["idr"])],
        ["`BILLED_AFTER_DEATH`", label(MONEY_LABELS, "BILLED_AFTER_DEATH", lang),
         number(m["billed_after_death"]["people"], lang), number(m["billed_after_death"]["months"], lang),
         rupiah(m["billed_after_death"]["idr"])],
        [text("money_bar_recover", lang), "", number(m["to_recover"]["people"], lang),
         number(m["to_recover"]["months"], lang), rupiah(m["to_recover"]["idr"])],
        ["`ARREARS`", label(MONEY_LABELS, "ARREARS", lang), number(m["arrears"]["people"], lang),
         number(m["arrears"]["months"], lang), rupiah(m["arrears"]["idr"])],
    ]  # fmt: skip
    parts += [_md_table(header, rows, "llrrr"), ""]
    unreadable = m["billed"]["unreadable"] + m["last_month_paid_unreadable"]
    if unreadable:
        parts += [text("money_unreadable", lang, iuran=number(m["billed"]["unreadable"], lang),
                       months=number(m["last_month_paid_unreadable"], lang)), ""]  # fmt: skip
    if data.finance_file:
        parts += [text("money_finance_file", lang, file=data.finance_file), ""]
    parts.append(text("money_no_decision", lang))
    return Section.of("money", text("h_money", lang), "\n".join(parts), (Chart("money", _svg_money(m, lang)),))


def _kecamatan(data: ReportData) -> Section:
    lang = data.language
    table = decisions_by_kecamatan(data.entries)
    header = [text("col_kecamatan", lang), *DECISIONS, text("col_total", lang)]
    rows = [[k, *(number(v, lang) for v in r)] for k, r in table.iterrows()]
    charts = (
        Chart("kecamatan", _svg_stacked_bars(table.drop(columns="TOTAL"), text("chart_kecamatan", lang), _COLOURS)),
        Chart("desil", _svg_stacked_bars(desil_mix(data.entries, lang), text("chart_desil", lang), _COLOURS)),
    )
    return Section.of("kecamatan", text("h_kecamatan_decisions", lang), _md_table(header, rows, "lrrrrrr"), charts)


def _reasons(data: ReportData) -> Section:
    lang = data.language
    counts = sorted(data.reason_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    body = (
        _md_table(
            [text("col_reason", lang), text("col_meaning", lang), text("col_people", lang)],
            [[f"`{r}`", label(REASON_LABELS, r, lang), number(n, lang)] for r, n in counts],
            "llr",
        )
        if data.reason_counts
        else text("no_reasons", lang)
    )
    alerts = int(data.entries["jkm_claim_alert"].sum()) if len(data.entries) else 0
    return Section.of("reasons", text("h_reasons", lang), body + "\n\n" + text("jkm_alerts", lang, n=number(alerts, lang)))


def _validation(data: ReportData) -> Section:
    lang = data.language
    parts: list[str] = []
    if data.validations:
        header = [text(k, lang) for k in ("col_source", "col_file_rows", "col_accepted", "col_rejected",
                                           "col_reject_pct", "col_outcome")]  # fmt: skip
        rows = []
        for v in data.validations:
            outcome = "outcome_passed" if v.passed else ("outcome_operator" if v.accepted_by_operator else "outcome_failed")
            rows.append([f"{v.source} (`{v.sha256[:12]}`)", number(v.rows_total, lang), number(v.rows_accepted, lang),
                         number(v.rows_rejected, lang), percent(v.reject_share, lang), text(outcome, lang)])  # fmt: skip
        parts += [_md_table(header, rows, "lrrrrl"), ""]
        for v in data.validations:
            if v.rejects_by_rule:
                rules = ", ".join(f"{k} {number(n, lang)}" for k, n in sorted(v.rejects_by_rule.items()))
                parts.append(f"- {text('rejects_by_rule', lang, source=v.source, rules=rules)}")
            kept = getattr(v, "repairs_by_rule", None)
            if kept:
                rules = ", ".join(f"{k} {number(n, lang)}" for k, n in sorted(kept.items()))
                parts.append(f"- {text('repairs_by_rule', lang, source=v.source, rules=rules)}")
            if getattr(v, "extra_columns", None):
                columns = ", ".join(v.extra_columns)  # escaped at validation
                parts.append(f"- {text('extra_columns', lang, source=v.source, columns=columns)}")
            if v.failure_message:
                parts.append(f"- {v.source}: {v.failure_message}")
    if data.accepted_flags:
        parts += ["", text("accepted_flags", lang, sources=", ".join(data.accepted_flags))]
    return Section.of("validation", text("h_validation", lang), "\n".join(parts).strip())


def _population_changes(data: ReportData) -> Section:
    lang = data.language
    if not len(data.changes):
        return Section.of("changes", text("h_population_changes", lang), text("no_changes", lang))
    ct = data.changes.groupby(["change_type", "source"]).size().rename("n").reset_index()
    rows = [[f"`{r.change_type}`", label(CHANGE_LABELS, r.change_type, lang), r.source, number(r.n, lang)]
            for r in ct.itertuples()]  # fmt: skip
    header = [text("col_change", lang), text("col_meaning", lang), text("col_source", lang), text("col_people", lang)]
    return Section.of("changes", text("h_population_changes", lang), _md_table(header, rows, "lllr"))


def _cases(data: ReportData) -> Section:
    lang = data.language
    escalated = 0 if data.escalated is None else len(data.escalated)
    parts = [
        "- " + text("cases_line", lang, opened=number(data.cases_opened, lang), seen=number(data.cases_seen, lang),
                    resolved=number(data.cases_resolved, lang), escalated=number(escalated, lang))
    ]  # fmt: skip
    if data.verification_rejected:
        parts.append("- " + text("verification_rejected", lang, why=data.verification_rejected))
    if data.verification_problems:
        parts.append("- " + text("cases_problems", lang, n=number(data.verification_problems, lang)))
    if data.escalated is not None and len(data.escalated):
        esc = data.escalated.copy()
        cols = [c for c in ("case_id", "nik", "kode_kelurahan", "periods_open", "triggers") if c in esc]
        esc = esc[cols]
        if "nik" in esc:
            esc["nik"] = mask_nik_series(esc["nik"])
        rows = [list(r) for r in esc.head(200).itertuples(index=False)]
        parts += ["", text("escalated", lang), "", _md_table(cols, rows)]
    return Section.of("cases", text("h_cases", lang), "\n".join(parts))


def _open_data(data: ReportData) -> Section | None:
    if not data.open_data_file or not data.open_data:
        return None
    lang, o = data.language, data.open_data
    body = text("open_data_line", lang, file=data.open_data_file, dictionary=data.open_data_dictionary or "",
                below=number(o["threshold"] - 1, lang), withheld=number(o["withheld"], lang),
                cells=number(o["cells"], lang))  # fmt: skip
    return Section.of("open_data", text("h_open_data", lang), body)


def _digests(data: ReportData) -> Section:
    body = "\n".join(f"- {k}: `{v}`" for k, v in sorted(data.input_digests.items()))
    return Section.of("digests", text("h_digests", data.language), body)


def report_sections(data: ReportData) -> tuple[Section, ...]:
    """The report's sections, in order."""
    stats = _stats(data)
    sections = [
        _summary(data, stats),
        _version_changes(data),  # versions after the first: what changed since the previous
        _decisions(data),
        _quota(data),
        _coverage(data, stats),
        _waitlist(data, stats),
        _trend(data),
        _money(data),
        _kecamatan(data),
        _reasons(data),
        _validation(data),
        _population_changes(data),
        _cases(data),
        _open_data(data),
        _digests(data),
    ]
    return tuple(s for s in sections if s is not None)


def _title(data: ReportData) -> str:
    return text("title", data.language, period=data.period, version=data.version)


def _intro(data: ReportData) -> str:
    return text("release_line", data.language, release_id=data.release_id, status=data.status,
                rules=data.rules_version)  # fmt: skip


def _markdown(data: ReportData, sections: tuple[Section, ...]) -> str:
    out = [f"# {_title(data)}", "", _intro(data), ""]
    for s in sections:
        out += [f"## {s.title}", "", s.body, ""]
    return "\n".join(out).rstrip() + "\n"


@cache
def _markdown_it():
    from markdown_it import MarkdownIt

    # commonmark with tables; raw HTML in the text is escaped, never passed through
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


@cache
def _template():
    import jinja2

    source = (resources.files("reports") / "templates" / "laporan.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(source)


def _html(data: ReportData, sections: tuple[Section, ...]) -> str:
    from markupsafe import Markup

    md = _markdown_it()
    items = [
        {
            "key": s.key,
            "title": s.title,
            # markdown-it escapes every value (raw HTML is off); the SVGs escape their text
            "blocks": [
                {
                    "body": Markup(md.render(b.body)),
                    "charts": [{"key": c.key, "svg": Markup(c.svg)} for c in b.charts],
                }
                for b in s.blocks
            ],
        }
        for s in sections
    ]
    return _template().render(
        lang=data.language,
        title=_title(data),
        intro=Markup(md.renderInline(_intro(data))),
        sections=items,
    )


def render_report(data: ReportData) -> Report:
    """The Markdown and the HTML of the report (the sections computed once)."""
    sections = report_sections(data)
    return Report(markdown=_markdown(data, sections), html=_html(data, sections), sections=sections)


def render_markdown(data: ReportData) -> str:
    return _markdown(data, report_sections(data))


def render_html(data: ReportData) -> str:
    """One offline HTML page: each section's Markdown rendered to HTML, its charts after
    it (inline SVG)."""
    return _html(data, report_sections(data))


# -- charts (inline SVG) -------------------------------------------------------------------------
def _svg_open(width: int, height: int, title: str) -> list[str]:
    t = html.escape(title)
    return [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{t}" font-family="sans-serif">'
        ),
        f"<title>{t}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{t}</text>',
    ]


def _svg_stacked_bars(
    table: pd.DataFrame,
    title: str,
    colours: dict[str, str],
    legend: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    width: int = 760,
    suffix: dict[str, str] | None = None,
) -> str:
    """Horizontal stacked bars (one per row), one colour per column of ``colours``."""
    cols = [c for c in table.columns if c in colours]
    totals = table[cols].sum(axis=1)
    top = max(int(totals.max()) if len(totals) else 0, 1)
    bar_h, gap, left = 18, 6, 270
    height = 40 + len(table) * (bar_h + gap) + 30
    parts = _svg_open(width, height, title)
    for i, (code, row) in enumerate(table[cols].iterrows()):
        name = (labels or {}).get(str(code), str(code))
        y = 30 + i * (bar_h + gap)
        parts.append(f'<text x="0" y="{y + 13}" font-size="11">{html.escape(name[:44])}</text>')
        x = float(left)
        for col in cols:
            w = (width - left - 90) * float(row[col]) / top
            if w > 0:
                shown = (legend or {}).get(col, col)
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colours[col]}">'
                    f"<title>{html.escape(name)} {html.escape(shown)}: {int(row[col]):,}</title></rect>"
                )
                x += w
        end = f"{int(row[cols].sum()):,}" + (suffix or {}).get(str(code), "")
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="11">{html.escape(end)}</text>')
    ly = 30 + len(table) * (bar_h + gap) + 10
    for j, col in enumerate(cols):
        shown = (legend or {}).get(col, col)
        parts.append(f'<rect x="{left + j * 130}" y="{ly}" width="12" height="12" fill="{colours[col]}"/>')
        parts.append(f'<text x="{left + j * 130 + 16}" y="{ly + 11}" font-size="11">{html.escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_coverage(table: pd.DataFrame, labels: dict[str, str], title: str, lang: Language) -> str:
    """Eligible people per category as stacked bars: covered, ENROLL, WAITLIST; the
    coverage rate at the end of each bar."""
    legend = {"covered": text("col_covered", lang), "enroll": "ENROLL", "waitlist": "WAITLIST"}
    suffix = {str(c): f" ({percent(r, lang)})" for c, r in table["coverage_rate"].items()}
    return _svg_stacked_bars(
        table[["covered", "enroll", "waitlist"]], title, _COVERAGE_COLOURS, legend, labels, suffix=suffix
    )


def _svg_budget(q: dict, lang: Language, width: int = 760) -> str:
    cap = max(int(q.get("cap") or 0), 1)
    used = int(q.get("places_used") or 0)
    enrolled = int(q.get("enrolled") or 0)
    scale = (width - 40) / max(cap, used + enrolled)
    parts = _svg_open(width, 74, text("chart_places", lang))
    caption = text("chart_places_caption", lang, used=number(used, lang), enrolled=number(enrolled, lang),
                   cap=number(cap, lang))  # fmt: skip
    parts += [
        f'<rect x="0" y="26" width="{used * scale:.1f}" height="22" fill="{_COLOURS["KEEP"]}"><title>{used:,}</title></rect>',
        f'<rect x="{used * scale:.1f}" y="26" width="{enrolled * scale:.1f}" height="22" fill="{_COLOURS["ENROLL"]}"><title>{enrolled:,}</title></rect>',
        f'<line x1="{cap * scale:.1f}" x2="{cap * scale:.1f}" y1="20" y2="54" stroke="black" stroke-width="2"><title>{cap:,}</title></line>',
        f'<text x="0" y="68" font-size="11">{html.escape(caption)}</text></svg>',
    ]
    return "".join(parts)


def _svg_trend_coverage(trend: pd.DataFrame, lang: Language, width: int = 760, height: int = 220) -> str:
    """Coverage rate per period (0-100 %), a line with its points."""
    parts = _svg_open(width, height, text("chart_trend_coverage", lang))
    left, right, top, bottom = 60, 60, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(trend)
    step = plot_w / max(n - 1, 1)
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{pct}%</text>')
    points = []
    for i, r in enumerate(trend.itertuples()):
        x = left + (i * step if n > 1 else plot_w / 2)
        rate = 0.0 if pd.isna(r.coverage_rate) else float(r.coverage_rate)
        y = top + plot_h * (1 - rate)
        points.append((x, y, r.period, rate))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{_COLOURS["KEEP"]}" stroke-width="2"/>')
    for x, y, period, rate in points:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{_COLOURS["KEEP"]}">'
            f"<title>{html.escape(period)}: {html.escape(percent(rate, lang))}</title></circle>"
        )
        parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" font-size="10" text-anchor="middle">{html.escape(percent(rate, lang))}</text>')
        parts.append(f'<text x="{x:.1f}" y="{height - 14}" font-size="11" text-anchor="middle">{html.escape(period)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_trend_cost(
    trend: pd.DataFrame, budget: int | None, lang: Language, width: int = 760, height: int = 220
) -> str:
    """Monthly cost per period as bars; a dashed line at the annual budget / 12."""
    parts = _svg_open(width, height, text("chart_trend_cost", lang))
    left, right, top, bottom = 20, 20, 44, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    monthly_budget = budget / 12 if budget else None
    top_value = max([float(trend["monthly_cost_idr"].max() or 0), monthly_budget or 0, 1.0])
    n = len(trend)
    slot = plot_w / max(n, 1)
    bar_w = min(60.0, slot * 0.6)
    for i, r in enumerate(trend.itertuples()):
        h = max(plot_h * float(r.monthly_cost_idr) / top_value, 1.0)
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{_COLOURS["ENROLL"]}">'
            f"<title>{html.escape(r.period)}: {html.escape(rupiah(r.monthly_cost_idr))}</title></rect>"
        )
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" font-size="10" text-anchor="middle">{html.escape(rupiah(r.monthly_cost_idr))}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 14}" font-size="11" text-anchor="middle">{html.escape(r.period)}</text>')
    if monthly_budget:
        y = top + plot_h * (1 - monthly_budget / top_value)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c62828" '
            f'stroke-width="2" stroke-dasharray="6 4"><title>{html.escape(rupiah(monthly_budget))}</title></line>'
        )
        parts.append(
            f'<text x="{width - right}" y="{y - 4:.1f}" font-size="10" text-anchor="end" fill="#c62828">'
            f"{html.escape(rupiah(monthly_budget))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _svg_money(m: dict, lang: Language, width: int = 760) -> str:
    """Rupiah this month: billed, the registry's cost, to recover, arrears."""
    bars = [
        (text("money_bar_billed", lang), int(m["billed"]["idr"]), "#1565c0"),
        (text("money_bar_registry", lang), int(m["registry_cost_idr"]), "#2e7d32"),
        (text("money_bar_recover", lang), int(m["to_recover"]["idr"]), "#c62828"),
        (text("money_bar_arrears", lang), int(m["arrears"]["idr"]), "#f9a825"),
    ]
    top = max([v for _, v, _ in bars] + [1])
    bar_h, gap, left = 20, 8, 220
    height = 34 + len(bars) * (bar_h + gap) + 6
    parts = _svg_open(width, height, text("chart_money", lang))
    for i, (name, value, colour) in enumerate(bars):
        y = 28 + i * (bar_h + gap)
        w = (width - left - 140) * value / top
        parts.append(f'<text x="0" y="{y + 14}" font-size="11">{html.escape(name)}</text>')
        parts.append(
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
            f"<title>{html.escape(name)}: {html.escape(rupiah(value))}</title></rect>"
        )
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="11">{html.escape(rupiah(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)
