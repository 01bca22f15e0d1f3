"""The run report (``laporan_YYYYMM_vN.md`` and ``.html``), rendered from typed results.

The Markdown is for reading anywhere (Git, the Prefect UI); the HTML adds charts drawn as
inline SVG, so the report opens offline at a kelurahan office (no script, no CDN).
No full NIK or name appears in the report.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from domain.codes import Decision
from domain.privacy import mask_nik_series
from domain.reference import city_kelurahan

DECISIONS = [d.value for d in Decision]
_COLOURS = {
    "KEEP": "#2e7d32",
    "REVERIFY": "#f9a825",
    "TERMINATE": "#c62828",
    "ENROLL": "#1565c0",
    "WAITLIST": "#90a4ae",
}


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


def rupiah(value: float | None) -> str:
    if value is None:
        return "-"
    return "Rp" + f"{int(value):,}".replace(",", ".")


def decisions_by_kecamatan(entries: pd.DataFrame) -> pd.DataFrame:
    """Counts per kecamatan (rows) and decision (columns), kecamatan by name."""
    names = city_kelurahan().drop_duplicates("kode_kecamatan").set_index("kode_kecamatan")["nama_kecamatan"]
    kec = entries["kode_kecamatan"].astype("string").fillna("(tidak diketahui)")
    table = pd.crosstab(kec, entries["decision"]).reindex(columns=DECISIONS, fill_value=0)
    table.index = [f"{k} {names.get(k, '')}".strip() for k in table.index]
    table.index.name = "kecamatan"
    table["TOTAL"] = table.sum(axis=1)
    return table


def desil_mix(entries: pd.DataFrame) -> pd.DataFrame:
    """Counts per desil (1..10 in order, then unknown) and decision."""
    desil = entries["desil"].astype("Int64").fillna(99)
    table = pd.crosstab(desil, entries["decision"]).reindex(columns=DECISIONS, fill_value=0).sort_index()
    table.index = [f"desil {d}" if d != 99 else "desil unknown" for d in table.index]
    return table


def _md_table(frame: pd.DataFrame, index: bool = True) -> str:
    frame = frame.reset_index() if index else frame
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |")
    return "\n".join(lines)


def render_markdown(data: ReportData) -> str:
    q = data.quota
    out: list[str] = [
        f"# Laporan rekonsiliasi SIGAP {data.period} (versi {data.version})",
        "",
        f"Release `{data.release_id}` ({data.status}), rules `{data.rules_version}`.",
        "",
        "## Keputusan (decisions)",
        "",
        _md_table(pd.DataFrame({"decision": list(data.counts), "count": list(data.counts.values())}), index=False),
        "",
        "## Kuota dan anggaran (quota and budget)",
        "",
        f"- Cap: **{q.get('cap', 0):,}** participants (quota {q.get('quota', 0):,}"
        + (f", annual budget pays for {q.get('budget_cap'):,}" if q.get("budget_cap") is not None else "")
        + ")",
        f"- Places used (KEEP + REVERIFY): {q.get('places_used', 0):,}; free places: {q.get('free_places', 0):,}",
        f"- ENROLL: {q.get('enrolled', 0):,}; WAITLIST: {q.get('waitlisted', 0):,}",
        f"- Monthly cost: {rupiah(q.get('monthly_cost_idr'))}; annual: {rupiah(q.get('annual_cost_idr'))}"
        f" (at {rupiah(data.monthly_contribution_idr)} per participant per month)",
        f"- The budget would cover: {q.get('budget_covers') if q.get('budget_covers') is not None else 'no budget set'}",
        "",
        "## Keputusan per kecamatan",
        "",
        _md_table(decisions_by_kecamatan(data.entries)),
        "",
        "## Alasan (reasons)",
        "",
        _md_table(
            pd.DataFrame(
                {"reason": list(data.reason_counts), "count": list(data.reason_counts.values())}
            ).sort_values("count", ascending=False),
            index=False,
        )
        if data.reason_counts
        else "No reasons.",
        "",
        f"JKM claim alerts (deceased participants whose heirs may claim): "
        f"**{int(data.entries['jkm_claim_alert'].sum()) if len(data.entries) else 0}**",
        "",
        "## Validasi extract",
        "",
    ]
    if data.validations:
        vt = pd.DataFrame(
            [
                {
                    "source": v.source,
                    "sha256": v.sha256[:12],
                    "rows": v.rows_total,
                    "accepted": v.rows_accepted,
                    "rejected": v.rows_rejected,
                    "reject %": round(100 * v.reject_share, 3),
                    "outcome": "passed" if v.passed else ("accepted by operator" if v.accepted_by_operator else "FAILED"),
                }
                for v in data.validations
            ]
        )
        out += [_md_table(vt, index=False), ""]
        for v in data.validations:
            if v.rejects_by_rule:
                rules = ", ".join(f"{k} {n:,}" for k, n in sorted(v.rejects_by_rule.items()))
                out.append(f"- {v.source} rows removed by rule: {rules}")
            kept = getattr(v, "repairs_by_rule", None)
            if kept:
                rules = ", ".join(f"{k} {n:,}" for k, n in sorted(kept.items()))
                out.append(
                    f"- {v.source} rows kept with a value nulled (listed as KEPT in the "
                    f"rejects file): {rules}"
                )
            if getattr(v, "extra_columns", None):
                out.append(f"- {v.source} extra columns (ignored): {', '.join(v.extra_columns)}")
            if v.failure_message:
                out.append(f"- {v.source}: {v.failure_message}")
        out.append("")
    if data.accepted_flags:
        out += [f"**Accepted by an operator despite failed checks:** {', '.join(data.accepted_flags)}", ""]
    out += ["## Perubahan data kependudukan (changes)", ""]
    if len(data.changes):
        ct = data.changes.groupby(["change_type", "source"]).size().rename("count").reset_index()
        out += [_md_table(ct, index=False), ""]
    else:
        out += ["No changes detected against the previous period's baseline.", ""]
    out += [
        "## Verifikasi ulang (re-verification cases)",
        "",
        f"- opened: {data.cases_opened:,}; still open and seen again: {data.cases_seen:,}; "
        f"resolved: {data.cases_resolved:,}; escalated: "
        f"{0 if data.escalated is None else len(data.escalated):,}",
    ]
    if data.verification_rejected:
        out.append(
            f"- results file rejected: {data.verification_rejected}; nothing of it was applied"
        )
    if data.verification_problems:
        out.append(f"- results rows that could not be applied: {data.verification_problems:,}")
    if data.escalated is not None and len(data.escalated):
        esc = data.escalated.copy()
        cols = [c for c in ("case_id", "nik", "kode_kelurahan", "periods_open", "triggers") if c in esc]
        esc = esc[cols]
        if "nik" in esc:
            esc["nik"] = mask_nik_series(esc["nik"])
        out += ["", "Escalated (open longer than allowed):", "", _md_table(esc.head(200), index=False)]
    out += ["", "## Input digests", ""]
    out += [f"- {k}: `{v}`" for k, v in sorted(data.input_digests.items())]
    return "\n".join(out) + "\n"


def _svg_stacked_bars(table: pd.DataFrame, title: str, width: int = 760) -> str:
    """Horizontal stacked bars (one per row), one colour per decision column."""
    cols = [c for c in table.columns if c in _COLOURS]
    totals = table[cols].sum(axis=1)
    top = max(int(totals.max()) if len(totals) else 0, 1)
    bar_h, gap, left = 18, 6, 220
    height = 40 + len(table) * (bar_h + gap) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (label, row) in enumerate(table[cols].iterrows()):
        y = 30 + i * (bar_h + gap)
        parts.append(f'<text x="0" y="{y + 13}" font-size="11">{html.escape(str(label))[:32]}</text>')
        x = left
        for col in cols:
            w = (width - left - 60) * float(row[col]) / top
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{_COLOURS[col]}">'
                    f"<title>{html.escape(str(label))} {col}: {int(row[col]):,}</title></rect>"
                )
                x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="11">{int(row[cols].sum()):,}</text>')
    ly = 30 + len(table) * (bar_h + gap) + 10
    for j, col in enumerate(cols):
        parts.append(f'<rect x="{left + j * 110}" y="{ly}" width="12" height="12" fill="{_COLOURS[col]}"/>')
        parts.append(f'<text x="{left + j * 110 + 16}" y="{ly + 11}" font-size="11">{col}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_budget(q: dict, width: int = 760) -> str:
    cap = max(int(q.get("cap") or 0), 1)
    used = int(q.get("places_used") or 0)
    enrolled = int(q.get("enrolled") or 0)
    scale = (width - 40) / max(cap, used + enrolled)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="70" role="img" aria-label="Budget use">'
        '<text x="0" y="16" font-size="14" font-weight="bold">Places: used, newly enrolled, cap</text>'
        f'<rect x="0" y="26" width="{used * scale:.1f}" height="22" fill="{_COLOURS["KEEP"]}"><title>used {used:,}</title></rect>'
        f'<rect x="{used * scale:.1f}" y="26" width="{enrolled * scale:.1f}" height="22" fill="{_COLOURS["ENROLL"]}"><title>enrolled {enrolled:,}</title></rect>'
        f'<line x1="{cap * scale:.1f}" x2="{cap * scale:.1f}" y1="20" y2="54" stroke="black" stroke-width="2"><title>cap {cap:,}</title></line>'
        f'<text x="0" y="66" font-size="11">used {used:,} + enrolled {enrolled:,} of cap {cap:,}</text></svg>'
    )


def render_html(data: ReportData, markdown_text: str) -> str:
    """HTML with the charts first, then the report text (pre-formatted Markdown)."""
    charts = [
        _svg_stacked_bars(decisions_by_kecamatan(data.entries).drop(columns="TOTAL"), "Decisions by kecamatan"),
        _svg_stacked_bars(desil_mix(data.entries), "Desil mix of people in scope"),
        _svg_budget(data.quota),
    ]
    return (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        f"<title>Laporan SIGAP {data.period} v{data.version}</title>"
        "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}"
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}</style></head><body>"
        f"<h1>Laporan rekonsiliasi SIGAP {data.period} (versi {data.version})</h1>"
        + "".join(f"<figure>{c}</figure>" for c in charts)
        + f"<pre>{html.escape(markdown_text)}</pre></body></html>"
    )
