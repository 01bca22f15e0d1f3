"""The report's sections of figures by group: coverage by category and area, the
waitlist, the trend over the periods, money, decisions by kecamatan, and reasons.
"""

from __future__ import annotations

import pandas as pd

from domain.reference import city_kelurahan
from domain.statistics import UNKNOWN, CoverageStatistics, occupation_names
from reports.release_report.charts import (
    _COLOURS,
    _svg_coverage,
    _svg_money,
    _svg_stacked_bars,
    _svg_trend_cost,
    _svg_trend_coverage,
)
from reports.release_report.model import Block, Chart, ReportData, Section
from reports.release_report.tables import (
    DECISIONS,
    _category_labels,
    _coverage_table,
    _md_table,
    decisions_by_kecamatan,
    desil_mix,
)
from reports.texts import (
    KATEGORI_LABELS,
    MONEY_LABELS,
    REASON_LABELS,
    label,
    number,
    percent,
    rupiah,
    text,
)

#: occupations listed in the report (those with the most eligible people)
TOP_OCCUPATIONS = 12


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
