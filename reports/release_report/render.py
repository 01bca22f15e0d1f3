"""Rendering the report: the Markdown file (the sections' Markdown) and the offline HTML
page (each section's Markdown rendered by markdown-it, raw HTML off, its charts after it,
laid out by the autoescaped Jinja2 template ``reports/templates/laporan.html.j2``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from reports.release_report.model import Report, ReportData, Section
from reports.release_report.sections import report_sections
from reports.texts import text


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
