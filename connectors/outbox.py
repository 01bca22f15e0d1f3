"""The outbox: the files that leave the system for every release (``contracts/REGISTRY.md``).

Files are first written into a *staging* folder inside the outbox root (same file system,
so that moving them is a rename), each atomically (temporary file, ``fsync``, rename) and
each with a ``<file>.sha256`` beside it in ``sha256sum`` format. The monthly flow stages
the files inside the registry transaction (``publish_release(before_commit=...)``) and
commits the staging folder only after the database committed; a failed publish discards
it. Committing moves every file into the root with one rename per file, the data file
before its checksum file, so that a reader that waits for the ``.sha256`` (as the
extract contract asks of our providers) never sees a half-written file.

Files are created ``0640`` and folders ``0750``: owner and group only, the registry
carries personal data.

Every CSV the outbox writes (:func:`render_csv`) is opened in a spreadsheet somewhere (the
worklists at the kelurahan, the mutations at BPJS): a text cell that starts with ``=``,
``+``, ``-``, ``@``, TAB or CR gets a ``'`` in front, so that the spreadsheet shows it as
text instead of running it as a formula (OWASP, CSV injection). Numbers are never
touched (``-3`` in an integer column stays a number); NIKs and KPJs are digits.

Names of the contract's files: :func:`registry_csv_name`, :func:`mutasi_csv_name`,
:func:`worklist_path`, :func:`report_name`.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Protocol, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.arrow_text import concatenated
from domain.periods import compact
from sigap.errors import ChecksumMismatch

FILE_MODE = 0o640
DIR_MODE = 0o750
CHECKSUM_SUFFIX = ".sha256"
STAGING_DIR = ".staging"
CSV_SEPARATOR = "|"

_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KELURAHAN = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
_HASH_CHUNK = 1 << 20


# --------------------------------------------------------------------------------------
# The contract's file names
# --------------------------------------------------------------------------------------


def _version(version: int) -> int:
    if isinstance(version, bool) or int(version) != version or version < 1:
        raise ValueError(f"release version must be a positive integer, got {version!r}")
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
        raise ValueError(f"kelurahan code {kode_kelurahan!r} is not of the form 32.75.01.1001")
    return f"verifikasi/{kode_kelurahan}/worklist_{release_tag(period, version)}.csv"


def report_name(period: str, version: int, ext: str = "md") -> str:
    """``laporan_YYYYMM_vN.md`` (or ``.html``): the run report."""
    if ext not in ("md", "html"):
        raise ValueError(f"report extension must be md or html, got {ext!r}")
    return f"laporan_{release_tag(period, version)}.{ext}"


# --------------------------------------------------------------------------------------
# Checksums and atomic writes
# --------------------------------------------------------------------------------------


def checksum_line(digest: str, file_name: str) -> str:
    """One ``sha256sum`` line: ``<64 hex>  <file name>``."""
    return f"{digest}  {file_name}\n"


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, data: bytes | memoryview) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, ``fsync`` and
    rename; the file ends up ``FILE_MODE`` whatever the umask.

    The folder itself is not synced here: files are only written into a staging folder,
    and :meth:`StagedOutbox.commit` syncs every folder it moves them into (one ``fsync``
    per folder instead of one per file; a worklist run writes a hundred files).
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        try:
            view = memoryview(data).cast("B")
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fchmod(fd, FILE_MODE)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _make_dirs(base: Path, relative: PurePosixPath) -> Path:
    """Create ``base/relative`` folder by folder, each new one ``DIR_MODE``."""
    current = base
    for part in relative.parts:
        current = current / part
        if not current.is_dir():
            current.mkdir(mode=DIR_MODE)
            os.chmod(current, DIR_MODE)
    return current


def _checked_rel_path(rel_path: str | PurePosixPath) -> PurePosixPath:
    rel = PurePosixPath(str(rel_path))
    if (
        not rel.parts
        or rel.is_absolute()
        or any(part in ("", ".", "..") or part.startswith(".") for part in rel.parts)
        or rel.name.endswith(CHECKSUM_SUFFIX)
        or "\\" in str(rel)
    ):
        raise ValueError(
            f"outbox path {str(rel_path)!r} must be relative, without '..', hidden parts or "
            f"a {CHECKSUM_SUFFIX} suffix"
        )
    return rel


# --------------------------------------------------------------------------------------
# CSV rendering
# --------------------------------------------------------------------------------------

#: a text cell starting with one of these is a formula to a spreadsheet (OWASP)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: what goes in front of such a cell
FORMULA_GUARD = "'"
_FORMULA_BYTE = np.zeros(256, dtype=bool)
_FORMULA_BYTE[[ord(c) for c in FORMULA_START]] = True

_QUOTE = '"'
#: a field is quoted when it holds one of these (the CSV writer pandas uses, QUOTE_MINIMAL
#: with ``|`` and ``\n``: a lone carriage return is not quoted)
_NEEDS_QUOTES = r'[|"\n]'
_TEXT = pa.large_string()


def render_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as the outbox's CSV: ``|``-separated UTF-8, a header row, LF line ends,
    missing values empty, fields holding ``|``, a quote or a line feed quoted (quotes
    doubled); booleans ``True``/``False``; a text cell that starts like a formula
    (:data:`FORMULA_START`) with a ``'`` in front.

    The bytes are exactly those of ``frame.to_csv(sep="|", index=False,
    lineterminator="\\n", na_rep="")`` once such cells are guarded. Text, integer and
    boolean columns (what the registry, the BPJS mutations and the worklists hold) are
    rendered with Arrow compute, with no Python work per row (the formula test reads the
    first byte of each value from the Arrow buffers); a frame with any other column
    (floats, dates, categories, mixed objects...) is left to pandas, its text cells
    guarded one by one.
    """
    if frame.columns.nlevels != 1 or len(frame.columns) == 0:
        return _pandas_csv(frame)
    fields = []
    for _, column in frame.items():  # noqa: PERF102 (a DataFrame: by position, labels may repeat)
        field = _csv_field(column)
        if field is None:
            return _pandas_csv(frame)
        fields.append(field)
    header = _pandas_csv(frame.iloc[:0])  # a few labels: pandas spells them
    if len(frame) == 0:
        return header
    separator, newline, empty = (pa.scalar(s, _TEXT) for s in (CSV_SEPARATOR, "\n", ""))
    if len(fields) == 1:  # the writer quotes a record made of one empty field
        only = fields[0]
        lines = pc.if_else(pc.equal(only, empty), pa.scalar('""', _TEXT), only)
    else:
        lines = pc.binary_join_element_wise(*fields, separator)
    body = pc.binary_join_element_wise(lines, empty, newline)
    return header + concatenated(body)


def _pandas_csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    _guarded(frame).to_csv(buffer, sep=CSV_SEPARATOR, index=False, lineterminator="\n", na_rep="")
    return buffer.getvalue().encode("utf-8")


def _guard_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return FORMULA_GUARD + value
    return value


def _guarded(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text cells (text, object and category columns) guarded; the
    pandas path only (frames this renderer does not take with Arrow: rare and small)."""
    out = None
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = [_guard_cell(c) for c in column.cat.categories]
            if categories == list(column.cat.categories):
                continue
            new = column.cat.rename_categories(categories)
        elif isinstance(column.dtype, pd.StringDtype) or column.dtype == object:
            cells = [_guard_cell(v) for v in column]
            new = pd.Series(cells, index=column.index, dtype=column.dtype)
        else:
            continue
        if out is None:
            out = frame.copy()
        out.isetitem(i, new)
    return frame if out is None else out


def _guard_formulas(text: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A ``large_string`` array with a ``'`` before each value whose first byte is in
    :data:`FORMULA_START` (read from the buffers: no pass over the text)."""
    starts = _formula_rows(text)
    if not starts.any():
        return text
    guarded = pc.binary_join_element_wise(
        pa.scalar(FORMULA_GUARD, _TEXT), text, pa.scalar("", _TEXT)
    )
    return pc.if_else(pa.array(starts), guarded, text)


def _formula_rows(text: pa.Array | pa.ChunkedArray) -> np.ndarray:
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    parts = []
    for chunk in chunks:
        _, offsets, data = chunk.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
        starts, ends = bounds[:-1], bounds[1:]
        hit = np.zeros(len(chunk), dtype=bool)
        if data is not None and data.size:
            first = np.frombuffer(data, dtype=np.uint8)[np.minimum(starts, data.size - 1)]
            hit = (ends > starts) & _FORMULA_BYTE[first]
        if chunk.null_count:
            hit &= chunk.is_valid().to_numpy(zero_copy_only=False)
        parts.append(hit)
    if not parts:
        return np.zeros(0, dtype=bool)
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _csv_field(values: pd.Series) -> pa.Array | None:
    """One column as CSV fields (``large_string``, no nulls), or ``None`` when its dtype is
    not one this renderer reproduces exactly."""
    dtype = values.dtype
    if isinstance(dtype, pd.BooleanDtype) or dtype == bool:
        flags = pa.array(values, from_pandas=True, type=pa.bool_())
        text = pc.if_else(flags, pa.scalar("True", _TEXT), pa.scalar("False", _TEXT))
    elif pd.api.types.is_integer_dtype(dtype):
        text = pc.cast(pa.array(values, from_pandas=True), _TEXT)
    elif isinstance(dtype, pd.StringDtype) or dtype == object:
        try:
            strings = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            return None
        if not (pa.types.is_string(strings.type) or pa.types.is_large_string(strings.type)):
            return None  # e.g. an object column of numbers or dates: pandas renders those
        text = _guard_formulas(pc.cast(strings, _TEXT))
        needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
        if pc.any(needs).as_py():
            quote = pa.scalar(_QUOTE, _TEXT)
            doubled = pc.replace_substring(text, _QUOTE, _QUOTE * 2)
            wrapped = pc.binary_join_element_wise(quote, doubled, quote, pa.scalar("", _TEXT))
            text = pc.if_else(needs, wrapped, text)
    else:
        return None
    return pc.fill_null(text, pa.scalar("", _TEXT))


# --------------------------------------------------------------------------------------
# Outbox and staging
# --------------------------------------------------------------------------------------


class UploadTarget(Protocol):
    """Where outbox files go (an SFTP endpoint): ``upload(local, rel_path)``."""

    def upload(self, local: Path, rel_path: str) -> None: ...


class StagedOutbox:
    """The files of one release being prepared; a context manager that discards them
    unless :meth:`commit` was called."""

    def __init__(self, root: Path, folder: Path) -> None:
        self.root = root
        self.folder = folder
        self._files: list[PurePosixPath] = []
        self._state = "open"

    # writing ---------------------------------------------------------------------------
    @property
    def files(self) -> list[str]:
        """Relative paths written so far, in write order."""
        return [str(f) for f in self._files]

    def path(self, rel_path: str) -> Path:
        """Where ``rel_path`` is staged (for a reader that wants to check it)."""
        return self.folder / _checked_rel_path(rel_path)

    def write_bytes(self, rel_path: str, data: bytes | memoryview) -> Path:
        """Stage ``data`` (any bytes-like object) as ``rel_path`` plus its ``.sha256``;
        returns the staged path."""
        if self._state != "open":
            raise RuntimeError(f"staged outbox {self.folder.name} is already {self._state}")
        rel = _checked_rel_path(rel_path)
        if rel in self._files:
            raise ValueError(f"outbox file {rel} was already written in this release")
        folder = _make_dirs(self.folder, rel.parent)
        target = folder / rel.name
        _atomic_write(target, data)
        digest = hashlib.sha256(data).hexdigest()
        _atomic_write(
            folder / (rel.name + CHECKSUM_SUFFIX), checksum_line(digest, rel.name).encode()
        )
        self._files.append(rel)
        return target

    def write_text(self, rel_path: str, text: str) -> Path:
        """Stage UTF-8 text."""
        return self.write_bytes(rel_path, text.encode("utf-8"))

    def write_csv(self, rel_path: str, frame: pd.DataFrame) -> Path:
        """Stage ``frame`` as ``|``-separated UTF-8 CSV with a header row (LF line ends;
        missing values empty; fields holding ``|``, quotes or line feeds are quoted): see
        :func:`render_csv`."""
        return self.write_bytes(rel_path, render_csv(frame))

    # finishing -------------------------------------------------------------------------
    def commit(self) -> list[Path]:
        """Move the staged files into the outbox root, one rename per file (the data file
        first, then its ``.sha256``), and remove the staging folder.

        Returns the committed files as paths in the root, in write order, each data file
        followed by its checksum file (the list :meth:`Outbox.upload` takes)."""
        if self._state != "open":
            raise RuntimeError(f"staged outbox {self.folder.name} is already {self._state}")
        self._state = "committing"
        committed: list[Path] = []
        touched: set[Path] = set()
        for rel in self._files:
            folder = _make_dirs(self.root, rel.parent)
            for name in (rel.name, rel.name + CHECKSUM_SUFFIX):
                os.replace(self.folder / rel.parent / name, folder / name)
                committed.append(folder / name)
            touched.add(folder)
        for folder in touched:
            _fsync_dir(folder)
        shutil.rmtree(self.folder)
        self._state = "committed"
        return committed

    def discard(self) -> None:
        """Remove the staging folder and everything in it (nothing reaches the root)."""
        if self._state == "committed":
            return
        shutil.rmtree(self.folder, ignore_errors=True)
        self._state = "discarded"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state != "committed":
            self.discard()


class Outbox:
    """The outbox folder ``root`` (created ``0750`` when missing)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def staging(self, release_tag: str) -> StagedOutbox:
        """A fresh staging folder ``root/.staging/<release_tag>.<random>``."""
        if not _TAG.match(release_tag):
            raise ValueError(f"release tag {release_tag!r} must be a plain file-name part")
        if not self.root.is_dir():
            self.root.mkdir(mode=DIR_MODE, parents=True)
            os.chmod(self.root, DIR_MODE)
        staging_root = _make_dirs(self.root, PurePosixPath(STAGING_DIR))
        folder = staging_root / f"{release_tag}.{secrets.token_hex(4)}"
        folder.mkdir(mode=DIR_MODE)
        os.chmod(folder, DIR_MODE)
        return StagedOutbox(self.root, folder)

    def path(self, rel_path: str) -> Path:
        """The committed file ``rel_path`` in the root."""
        return self.root / _checked_rel_path(rel_path)

    def verify(self, rel_path: str) -> str:
        """Check a committed file against its ``.sha256``; returns the digest.

        Raises :class:`sigap.errors.ChecksumMismatch` when the checksum file is missing,
        malformed or disagrees.
        """
        local = self.path(rel_path)
        checksum = local.with_name(local.name + CHECKSUM_SUFFIX)
        if not checksum.is_file():
            raise ChecksumMismatch("checksum file is missing", file=str(rel_path))
        fields = checksum.read_text(encoding="utf-8").split()
        if len(fields) != 2 or fields[1].lstrip("*") != local.name:
            raise ChecksumMismatch("checksum file is not in sha256sum format", file=str(rel_path))
        actual = file_sha256(local)
        if actual != fields[0].lower():
            raise ChecksumMismatch("file does not match its .sha256", file=str(rel_path))
        return actual

    def upload(self, files: Iterable[str | Path], target: UploadTarget) -> list[str]:
        """Upload committed files, each followed by its ``.sha256`` (checksum last, so that
        the receiver may treat its arrival as "complete").

        ``files``: relative paths or paths inside the root, e.g. what
        :meth:`StagedOutbox.commit` returned; ``.sha256`` entries are skipped (each goes
        with its data file). Every file is verified against its checksum before it leaves.
        Returns the relative paths of the data files uploaded.
        """
        uploaded: list[str] = []
        for item in files:
            if str(item).endswith(CHECKSUM_SUFFIX):
                continue
            rel = self._relative(item)
            if rel in uploaded:
                continue
            self.verify(rel)
            local = self.path(rel)
            target.upload(local, rel)
            target.upload(local.with_name(local.name + CHECKSUM_SUFFIX), rel + CHECKSUM_SUFFIX)
            uploaded.append(rel)
        return uploaded

    def _relative(self, item: str | Path) -> str:
        path = Path(item)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(self.root.resolve())
            except ValueError:
                raise ValueError(f"{item} is not inside the outbox {self.root}") from None
        return str(_checked_rel_path(path.as_posix()))


__all__ = [
    "CHECKSUM_SUFFIX", "DIR_MODE", "FILE_MODE", "Outbox", "StagedOutbox", "UploadTarget",
    "checksum_line", "file_sha256", "mutasi_csv_name", "registry_csv_name", "release_tag",
    "render_csv", "report_name", "worklist_path",
]  # fmt: skip
