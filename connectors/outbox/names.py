"""The names of the contract's files (:func:`registry_csv_name`, :func:`mutasi_csv_name`,
:func:`worklist_path`, :func:`report_name`), the ``release_file.kind`` of a path
(:func:`kind_of`) and the checks every outbox and staging path goes through."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from core.errors import InvalidInput
from domain.codes import OutboxFile
from domain.periods import compact

CHECKSUM_SUFFIX = ".sha256"
STAGING_DIR = ".staging"

_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KELURAHAN = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
#: ``<stem>_YYYYMM_vN.<ext>``: the name of a release's file
_RELEASE_FILE = re.compile(r"^(?P<stem>.+?)_\d{6}_v\d+\.(?P<ext>[A-Za-z0-9]+)$")


def _version(version: int) -> int:
    if isinstance(version, bool) or int(version) != version or version < 1:
        raise InvalidInput(f"release version must be a positive integer, got {version!r}")
    return int(version)


def release_tag(period: str, version: int) -> str:
    """``('2026-10', 2)`` -> ``'202610_v2'`` (the suffix of every file of a release)."""
    return f"{compact(period)}_v{_version(version)}"


def registry_csv_name(period: str, version: int) -> str:
    """``registry_YYYYMM_vN.csv``: the release's ``registry_entry`` rows."""
    return f"registry_{release_tag(period, version)}.csv"


def mutasi_csv_name(period: str, version: int) -> str:
    """``mutasi_bpjstk_YYYYMM_vN.csv``: the ENROLL and TERMINATE rows for BPJS."""
    return f"mutasi_bpjstk_{release_tag(period, version)}.csv"


def worklist_path(kode_kelurahan: str, period: str, version: int) -> str:
    """``verifikasi/<kode_kelurahan>/worklist_YYYYMM_vN.csv``: one kelurahan's open cases."""
    if not _KELURAHAN.match(str(kode_kelurahan)):
        raise InvalidInput(f"kelurahan code {kode_kelurahan!r} is not of the form 32.75.01.1001")
    return f"verifikasi/{kode_kelurahan}/worklist_{release_tag(period, version)}.csv"


def report_name(period: str, version: int, ext: str = "md") -> str:
    """``laporan_YYYYMM_vN.md`` (or ``.html``): the run report."""
    if ext not in ("md", "html"):
        raise InvalidInput(f"report extension must be md or html, got {ext!r}")
    return f"laporan_{release_tag(period, version)}.{ext}"


def _checked_rel_path(rel_path: str | PurePosixPath) -> PurePosixPath:
    rel = PurePosixPath(str(rel_path))
    if (
        not rel.parts
        or rel.is_absolute()
        or any(part in ("", ".", "..") or part.startswith(".") for part in rel.parts)
        or rel.name.endswith(CHECKSUM_SUFFIX)
        or "\\" in str(rel)
    ):
        raise InvalidInput(
            f"outbox path {str(rel_path)!r} must be relative, without '..', hidden parts or "
            f"a {CHECKSUM_SUFFIX} suffix"
        )
    return rel


def _checked_staging(staging: str) -> PurePosixPath:
    rel = PurePosixPath(str(staging))
    if (
        len(rel.parts) != 2
        or rel.parts[0] != STAGING_DIR
        or not _TAG.match(rel.parts[1])
    ):
        raise InvalidInput(f"staging folder {staging!r} is not of the form {STAGING_DIR}/<name>")
    return rel


def kind_of(rel_path: str) -> str:
    """The ``release_file.kind`` of an outbox path: ``registry``, ``mutasi``,
    ``report_md``, ``report_html``, ``worklist``; for any other file the name part before
    its ``_YYYYMM_vN`` suffix (``statistik_202610_v1.csv`` -> ``statistik``), else its
    name without the extension."""
    rel = _checked_rel_path(rel_path)
    match = _RELEASE_FILE.match(rel.name)
    if match is None:
        return rel.name.split(".", 1)[0]
    stem, ext = match.group("stem"), match.group("ext")
    known = {
        ("registry", "csv"): OutboxFile.REGISTRY,
        ("mutasi_bpjstk", "csv"): OutboxFile.MUTASI,
        ("laporan", "md"): OutboxFile.REPORT_MD,
        ("laporan", "html"): OutboxFile.REPORT_HTML,
        ("worklist", "csv"): OutboxFile.WORKLIST,
    }
    return str(known.get((stem, ext), stem))
