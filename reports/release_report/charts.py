"""The report's charts, drawn as inline SVG (no script, no external file): stacked bars,
coverage by category, the places against the cap, the trend of coverage and cost over the
periods, and the month's money. Every text in them is escaped.
"""

from __future__ import annotations

import html

import pandas as pd

from reports.texts import Language, number, percent, rupiah, text

_COLOURS = {
    "KEEP": "#2e7d32",
    "REVERIFY": "#f9a825",
    "TERMINATE": "#c62828",
    "ENROLL": "#1565c0",
    "WAITLIST": "#90a4ae",
}
#: the coverage charts: covered (KEEP + REVERIFY), ENROLL, WAITLIST
_COVERAGE_COLOURS = {"covered": "#2e7d32", "enroll": "#1565c0", "waitlist": "#90a4ae"}


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
