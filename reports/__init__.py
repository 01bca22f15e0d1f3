"""Rendering a release's report (Markdown and HTML) from typed results."""
