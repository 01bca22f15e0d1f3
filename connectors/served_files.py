"""What the report server (``sigap files-serve``, ``infra/files_server.py``) may serve,
and the URL of such a file: the one place that maps files to links and links to files.

Two roots, both read-only:

- ``/outbox/...``: the outbox's reports only: ``laporan_YYYYMM_vN.md`` and ``.html`` and
  their ``.sha256``. Never the registry CSV, the BPJS mutations or the worklists (full
  NIKs and names).
- ``/runs/...``: under ``data_dir/runs``, each run's Great Expectations Data Docs
  (``YYYY-MM/run-<flow run id>/data_docs/...``: counts and rule names, no row values) and
  the report of a failed validation (``YYYY-MM/laporan_gagal_YYYYMM.md``). Never the
  rejects files (the provider's rows), the GX stores, downloads or baselines.

Everything else is refused; so is any path that is not plainly below its root (``..``,
symbolic links leading out, hidden names).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from core.settings import Settings

__all__ = ["OUTBOX", "RUNS", "allowed", "resolve", "url_for"]

OUTBOX = "outbox"
RUNS = "runs"

_REPORT = re.compile(r"^laporan_\d{6}_v\d+\.(md|html)(\.sha256)?$")
_FAILED_REPORT = re.compile(r"^\d{4}-\d{2}/laporan_gagal_\d{6}\.md$")
_DATA_DOCS = re.compile(r"^\d{4}-\d{2}/run-[0-9a-zA-Z-]+/data_docs/(.+)$")
#: what a Data Docs site is made of
_DATA_DOCS_SUFFIXES = {
    ".html", ".css", ".js", ".png", ".gif", ".svg", ".ico", ".jpg", ".otf", ".ttf",
    ".woff", ".woff2",
}  # fmt: skip


def _roots(settings: Settings) -> dict[str, Path]:
    return {
        OUTBOX: Path(settings.outbox).resolve(),
        RUNS: (Path(settings.data_dir) / RUNS).resolve(),
    }


def allowed(root: str, relative: str) -> bool:
    """May the report server serve ``relative`` (POSIX, below ``root``)?"""
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return False
    if root == OUTBOX:
        return len(parts) == 1 and bool(_REPORT.match(parts[0]))
    if root == RUNS:
        if _FAILED_REPORT.match(relative):
            return True
        docs = _DATA_DOCS.match(relative)
        return bool(docs) and PurePosixPath(relative).suffix.lower() in _DATA_DOCS_SUFFIXES
    return False


def resolve(settings: Settings, url_path: str) -> Path | None:
    """The file a request path (``/outbox/laporan_202608_v1.html``, already URL-decoded)
    names, when it may be served and exists; None otherwise."""
    if "\\" in url_path or "\x00" in url_path:
        return None
    parts = [p for p in url_path.split("/") if p != ""]
    if len(parts) < 2:
        return None
    root, relative = parts[0], "/".join(parts[1:])
    base = _roots(settings).get(root)
    if base is None or not allowed(root, relative):
        return None
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None  # a symbolic link leading out of the root, or nothing there
    if not allowed(root, path.relative_to(base).as_posix()):
        return None  # a symbolic link to a file that is not served (a rejects file...)
    return path


def url_for(settings: Settings, path: Path | str | None) -> str | None:
    """The link to ``path`` under ``links.base_url``; None when no report server is
    configured or the server would not serve that file."""
    base = settings.links.base_url
    if not base or path is None:
        return None
    path = Path(path).resolve()
    for root, folder in _roots(settings).items():
        if path.is_relative_to(folder):
            relative = path.relative_to(folder).as_posix()
            if allowed(root, relative):
                return f"{base}{root}/{quote(relative)}"
    return None
