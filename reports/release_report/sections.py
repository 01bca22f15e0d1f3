"""The report's sections in order (:func:`report_sections`): the summary, what changed
since the previous version, decisions, the quota, the figures (:mod:`.figures`),
validation, population changes, re-verification cases, the open-data file and the input
digests.
"""

from __future__ import annotations

from domain.periods import compact
from domain.privacy import mask_nik_series
from domain.statistics import CoverageStatistics, coverage_statistics
from reports.release_report.charts import _svg_budget
from reports.release_report.figures import (
    _coverage,
    _kecamatan,
    _money,
    _reasons,
    _trend,
    _waitlist,
)
from reports.release_report.model import Chart, ReportData, Section
from reports.release_report.tables import _md_table
from reports.texts import (
    CHANGE_LABELS,
    DECISION_LABELS,
    label,
    number,
    percent,
    rupiah,
    text,
)


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
            file = f"perubahan_keputusan_{compact(diff.period)}_v{diff.to_release.version}.csv"
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
