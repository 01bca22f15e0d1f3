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

The parts: :mod:`~reports.release_report.model` (the report's data and its pieces),
:mod:`~reports.release_report.tables` (tables), :mod:`~reports.release_report.charts`
(inline SVG), :mod:`~reports.release_report.figures` and
:mod:`~reports.release_report.sections` (the sections) and
:mod:`~reports.release_report.render` (Markdown and HTML).
"""

from __future__ import annotations

from reports.release_report.figures import TOP_OCCUPATIONS
from reports.release_report.model import (
    Block,
    Chart,
    HistoryReport,
    Report,
    ReportData,
    Section,
)
from reports.release_report.render import render_html, render_markdown, render_report
from reports.release_report.sections import report_sections
from reports.release_report.tables import DECISIONS, decisions_by_kecamatan, desil_mix
from reports.texts import rupiah

__all__ = [
    "DECISIONS",
    "TOP_OCCUPATIONS",
    "Block",
    "Chart",
    "HistoryReport",
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
