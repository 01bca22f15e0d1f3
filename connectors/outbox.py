"""The outbox: the files that leave the system for every release (``contracts/REGISTRY.md``).

Files are first written into a *staging* folder inside the outbox root
(``.staging/<tag>.<random>``, same file system, so that moving them is a rename), each
atomically (temporary file, ``fsync``, rename) and each with a ``<file>.sha256`` beside it
in ``sha256sum`` format; the sha256 and size are computed while writing
(:meth:`StagedOutbox.manifest`). The monthly flow stages the files while the registry
transaction loads the rows (``publish_release(while_loading=...)``), records them in the
same transaction (``release_file``) and commits the staging folder only after the
database committed; a failed publish discards it.

No file is ever visible without its ``.sha256``: committing moves every checksum file into
the root first, syncs the folders, then moves the data files and syncs again (a repair
does the same file by file). A reader that sees a ``.sha256`` without its data file, or a
data file that does not (yet) match it, tries again later; it never sees a data file
alone or half-written.

A crash between the database commit and the end of the commit leaves files in the
staging folder: :meth:`Outbox.place_recorded` finishes the job from the database's record
(idempotent), :meth:`Outbox.remove_staging` removes what is delivered or was never
published. A staging folder is locked (``flock``) by the process writing it, so that
another process never removes or moves files a live publisher is still working on.

Files are created ``0640`` and folders ``0750`` whatever the umask (``connectors.files``):
owner and group only, the registry carries personal data.

Every CSV the outbox writes (:func:`render_csv`) is opened in a spreadsheet somewhere (the
worklists at the kelurahan, the mutations at BPJS): a text cell that starts with ``=``,
``+``, ``-``, ``@``, TAB or CR gets a ``'`` in front, so that the spreadsheet shows it as
text instead of running it as a formula (OWASP, CSV injection). Numbers are never
touched (``-3`` in an integer column stays a number); NIKs and KPJs are digits.

Names of the contract's files: :func:`registry_csv_name`, :func:`mutasi_csv_name`,
:func:`worklist_path`, :func:`report_name`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Protocol, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from connectors.arrow_text import concatenated
from connectors.files import DIR_MODE, FILE_MODE, private_dirs
from connectors.files import atomic_write as _atomic_write
from connectors.files import fsync_dir as _fsync_dir
from connectors.files import make_dirs as _make_dirs
from core.errors import ChecksumMismatch, DataError, InvalidInput
from domain.codes import OutboxFile
from domain.periods import compact

CHECKSUM_SUFFIX = ".sha256"
STAGING_DIR = ".staging"
CSV_SEPARATOR = "|"

_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KELURAHAN = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
#: ``<stem>_YYYYMM_vN.<ext>``: the name of a release's file
_RELEASE_FILE = re.compile(r"^(?P<stem>.+?)_\d{6}_v\d+\.(?P<ext>[A-Za-z0-9]+)$")
_HASH_CHUNK = 1 << 20


# --------------------------------------------------------------------------------------
# The contract's file names
# --------------------------------------------------------------------------------------


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
    """Where outbox files go (an SFTP endpoint): ``upload_verified(local, rel_path,
    sha256)`` puts the file and its ``.sha256`` in place, the data checked on the far
    side (see :meth:`connectors.sftp.ExtractSource.upload_verified`)."""

    def upload_verified(self, local: Path, rel_path: str, sha256: str) -> None: ...


class FileLost(DataError):
    """A file a release must deliver is neither staged nor in the outbox (or neither copy
    matches its recorded sha256), and it cannot be rendered again."""

    hint = (
        "put the file back (with the content its sha256 names) and run `sigap repair`, or "
        "publish a new version of the period: `sigap run --period YYYY-MM --force`"
    )


@dataclass(frozen=True)
class StagedFile:
    """A staged file: its path relative to the outbox root, kind, sha256 and size."""

    path: str
    kind: str
    sha256: str
    size: int


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


class StagedOutbox:
    """The files of one release being prepared, in a staging folder that this object
    holds an exclusive lock on (``flock``) until it is committed, discarded or released:
    :meth:`Outbox.remove_stale_staging` never touches a folder that is in use, and a
    killed process's lock goes with it.

    A context manager that discards the files unless :meth:`commit` was called (a
    commit that failed half-way leaves them for :meth:`Outbox.place_recorded`)."""

    def __init__(self, root: Path, folder: Path) -> None:
        self.root = root
        self.folder = folder
        self._files: dict[PurePosixPath, StagedFile] = {}
        self._state = "open"
        self._lock = _try_lock(folder)
        if self._lock is None:  # a fresh folder: nobody else can hold it
            raise RuntimeError(f"staging folder {folder} is locked by another process")

    # writing ---------------------------------------------------------------------------
    @property
    def files(self) -> list[str]:
        """Relative paths written so far, in write order."""
        return [str(f) for f in self._files]

    @property
    def staging(self) -> str:
        """The staging folder relative to the outbox root (``.staging/<tag>.<random>``),
        as ``release_file.staging`` records it."""
        return self.folder.relative_to(self.root).as_posix()

    def manifest(self) -> list[StagedFile]:
        """The staged files with kind, sha256 and size, in write order (computed while
        writing: nothing is read back)."""
        return list(self._files.values())

    def path(self, rel_path: str) -> Path:
        """Where ``rel_path`` is staged (for a reader that wants to check it)."""
        return self.folder / _checked_rel_path(rel_path)

    def write_bytes(self, rel_path: str, data: bytes | memoryview, *, kind: str | None = None) -> Path:
        """Stage ``data`` (any bytes-like object) as ``rel_path`` plus its ``.sha256``;
        returns the staged path. ``kind``: see :func:`kind_of` (the default)."""
        if self._state != "open":
            raise RuntimeError(f"staged outbox {self.folder.name} is already {self._state}")
        rel = _checked_rel_path(rel_path)
        if rel in self._files:
            raise InvalidInput(f"outbox file {rel} was already written in this release")
        folder = _make_dirs(self.folder, rel.parent)
        target = folder / rel.name
        _atomic_write(target, data)
        digest = hashlib.sha256(data).hexdigest()
        _atomic_write(
            folder / (rel.name + CHECKSUM_SUFFIX), checksum_line(digest, rel.name).encode()
        )
        size = memoryview(data).nbytes
        self._files[rel] = StagedFile(str(rel), kind or kind_of(str(rel)), digest, size)
        return target

    def write_text(self, rel_path: str, text: str, *, kind: str | None = None) -> Path:
        """Stage UTF-8 text."""
        return self.write_bytes(rel_path, text.encode("utf-8"), kind=kind)

    def write_csv(self, rel_path: str, frame: pd.DataFrame, *, kind: str | None = None) -> Path:
        """Stage ``frame`` as ``|``-separated UTF-8 CSV with a header row (LF line ends;
        missing values empty; fields holding ``|``, quotes or line feeds are quoted): see
        :func:`render_csv`."""
        return self.write_bytes(rel_path, render_csv(frame), kind=kind)

    # finishing -------------------------------------------------------------------------
    def commit(self) -> list[Path]:
        """Move the staged files into the outbox root and remove the staging folder.

        Two rounds of renames: every ``.sha256`` first, then every data file, each round
        followed by an ``fsync`` of the folders it touched (in parallel: one journal
        commit, not one per folder). A data file is never in the root without its
        checksum, not even after a power cut. Returns the committed files as paths in the
        root, in write order, each checksum followed by its data file.

        If a rename fails, the files not yet moved stay in the staging folder (the lock
        is released): :meth:`Outbox.place_recorded` finishes the job from the record.
        """
        if self._state != "open":
            raise RuntimeError(f"staged outbox {self.folder.name} is already {self._state}")
        self._state = "committing"
        committed: list[Path] = []
        try:
            folders = {rel: _make_dirs(self.root, rel.parent) for rel in self._files}
            for suffix in (CHECKSUM_SUFFIX, ""):  # the checksums, then the data files
                for rel, folder in folders.items():
                    name = rel.name + suffix
                    _move_into_place(self.folder / rel.parent / name, folder / name)
                _fsync_dirs(set(folders.values()))
            committed = [
                folder / name
                for rel, folder in folders.items()
                for name in (rel.name + CHECKSUM_SUFFIX, rel.name)
            ]
            shutil.rmtree(self.folder)
        except BaseException:
            self._state = "interrupted"
            self.release()
            raise
        self._state = "committed"
        self.release()
        return committed

    def discard(self) -> None:
        """Remove the staging folder and everything in it (nothing reaches the root)."""
        if self._state == "committed":
            return
        shutil.rmtree(self.folder, ignore_errors=True)
        self._state = "discarded"
        self.release()

    def release(self) -> None:
        """Give up the folder's lock (idempotent); the files stay where they are."""
        lock, self._lock = self._lock, None
        if lock is not None:
            os.close(lock)  # closing the descriptor releases the flock

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state == "open":
            self.discard()
        self.release()


class Outbox:
    """The outbox folder ``root`` (created ``0750`` when missing)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def staging(self, release_tag: str) -> StagedOutbox:
        """A fresh staging folder ``root/.staging/<release_tag>.<random>``, locked."""
        if not _TAG.match(release_tag):
            raise InvalidInput(f"release tag {release_tag!r} must be a plain file-name part")
        staging_root = self._staging_root()
        # created and locked under the shared sweep lock: a sweep never sees it unlocked
        with _flocked(staging_root, fcntl.LOCK_SH):
            folder = staging_root / f"{release_tag}.{secrets.token_hex(4)}"
            folder.mkdir(mode=DIR_MODE)
            os.chmod(folder, DIR_MODE)
            return StagedOutbox(self.root, folder)

    def _staging_root(self) -> Path:
        private_dirs(self.root)  # its missing parents too (data_dir/outbox)
        return _make_dirs(self.root, PurePosixPath(STAGING_DIR))

    def path(self, rel_path: str) -> Path:
        """The committed file ``rel_path`` in the root."""
        return self.root / _checked_rel_path(rel_path)

    def verify(self, rel_path: str) -> str:
        """Check a committed file against its ``.sha256``; returns the digest.

        Raises :class:`core.errors.ChecksumMismatch` when the checksum file is missing,
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

    # completing a recorded delivery ----------------------------------------------------
    def place_recorded(
        self,
        rel_path: str,
        sha256: str,
        size: int,
        staging: str | None,
        *,
        render: Callable[[], bytes] | None = None,
    ) -> str:
        """Make sure the recorded file ``rel_path`` (``sha256``, ``size``) is in the root
        with its ``.sha256``, whatever a crash left behind; idempotent.

        The data come from the staging folder when the staged copy matches the record,
        else from the root when the file is already there and matches, else from
        ``render()`` (the file made again, e.g. from the database) when it gives exactly
        the recorded bytes. Then, as in :meth:`StagedOutbox.commit`, the checksum is put
        in place first and the data file second. Returns ``"moved"``, ``"present"`` or
        ``"rendered"``; raises :class:`FileLost` when there is nothing to deliver.
        """
        rel = _checked_rel_path(rel_path)
        final = self.root / rel
        line = checksum_line(sha256, rel.name).encode()
        staged = self.root / _checked_staging(staging) / rel if staging else None
        problems: list[str] = []
        if staged is not None and staged.is_file():
            if _matches(staged, sha256, size):
                self._place(rel, staged, line)
                return "moved"
            problems.append("the staged copy does not match its recorded sha256")
        if final.is_file() and _matches(final, sha256, size):
            checksum = final.with_name(final.name + CHECKSUM_SUFFIX)
            if not (checksum.is_file() and checksum.read_bytes() == line):
                self._place(rel, None, line)
            return "present"
        if final.is_file():
            problems.append("the file in the outbox does not match its recorded sha256")
        if render is not None:
            data = render()
            if hashlib.sha256(data).hexdigest() == sha256 and len(data) == size:
                with self.staging("repair") as scratch:
                    scratch.write_bytes(str(rel), data)
                    self._place(rel, scratch.path(str(rel)), line)
                return "rendered"
            problems.append("made again from the database it differs from the published file")
        if not problems:
            problems.append("neither staged nor in the outbox")
        raise FileLost("; ".join(problems), file=str(final))

    def _place(self, rel: PurePosixPath, source: Path | None, line: bytes) -> None:
        """The checksum ``line`` then ``source`` (when given) into the root, each by
        rename followed by the folder's ``fsync``."""
        folder = _make_dirs(self.root, rel.parent)
        checksum_name = rel.name + CHECKSUM_SUFFIX
        staged_checksum = None if source is None else source.with_name(checksum_name)
        if staged_checksum is not None and staged_checksum.is_file() and staged_checksum.read_bytes() == line:
            _move_into_place(staged_checksum, folder / checksum_name)
        else:  # written from the record, in a staging folder of its own, then moved
            with self.staging("checksum") as scratch:
                _atomic_write(scratch.folder / checksum_name, line)
                _move_into_place(scratch.folder / checksum_name, folder / checksum_name)
        _fsync_dir(folder)
        if source is not None:
            _move_into_place(source, folder / rel.name)
            _fsync_dir(folder)

    def remove_stale_staging(self, keep: Iterable[str] = ()) -> list[str]:
        """Remove every staging folder except those in ``keep`` and those a live process
        holds; returns the folders removed (relative to the root)."""
        base = self.root / STAGING_DIR
        if not base.is_dir():
            return []
        kept = {str(k) for k in keep}
        removed = []
        with _flocked(base, fcntl.LOCK_EX):  # no staging folder is being created meanwhile
            for folder in self.staging_folders():
                if folder not in kept and self.remove_staging(folder):
                    removed.append(folder)
        return removed

    def staging_folders(self) -> list[str]:
        """Every folder under ``.staging`` (relative to the root, e.g. ``.staging/202610_v2.ab12cd34``)."""
        base = self.root / STAGING_DIR
        if not base.is_dir():
            return []
        return sorted(f"{STAGING_DIR}/{p.name}" for p in base.iterdir() if p.is_dir())

    def in_use(self, staging: str) -> bool:
        """Whether a live process holds the staging folder (its lock)."""
        folder = self.root / _checked_staging(staging)
        if not folder.is_dir():
            return False
        lock = _try_lock(folder)
        if lock is None:
            return True
        os.close(lock)
        return False

    def remove_staging(self, staging: str) -> bool:
        """Remove a staging folder unless a live process holds it; returns whether it is
        gone. The lock is held while removing, so a publisher cannot take it meanwhile."""
        folder = self.root / _checked_staging(staging)
        if not folder.is_dir():
            return True
        lock = _try_lock(folder)
        if lock is None:
            return False
        try:
            shutil.rmtree(folder)
        finally:
            os.close(lock)
        with contextlib.suppress(OSError):
            _fsync_dir(folder.parent)
        return True

    # uploading -------------------------------------------------------------------------
    def upload_file(self, rel_path: str, sha256: str, target: UploadTarget) -> None:
        """Upload the committed file ``rel_path`` (recorded as ``sha256``) and its
        checksum to ``target``, which checks the bytes that arrived against ``sha256``
        before renaming them into place. Raises :class:`FileLost` when the file is not in
        the outbox."""
        local = self.path(rel_path)
        if not local.is_file():
            raise FileLost("not in the outbox: nothing to upload", file=str(local))
        target.upload_verified(local, str(_checked_rel_path(rel_path)), sha256)

    def upload(self, files: Iterable[str | Path], target: UploadTarget) -> list[str]:
        """Upload committed files, each with its ``.sha256``.

        ``files``: relative paths or paths inside the root, e.g. what
        :meth:`StagedOutbox.commit` returned; ``.sha256`` entries are skipped (each goes
        with its data file). Every file is verified against its checksum before it leaves
        and checked again on the far side (:meth:`upload_file`). Returns the relative paths
        of the data files uploaded.
        """
        uploaded: list[str] = []
        for item in files:
            if str(item).endswith(CHECKSUM_SUFFIX):
                continue
            rel = self._relative(item)
            if rel in uploaded:
                continue
            self.upload_file(rel, self.verify(rel), target)
            uploaded.append(rel)
        return uploaded

    def _relative(self, item: str | Path) -> str:
        path = Path(item)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(self.root.resolve())
            except ValueError:
                raise InvalidInput(f"{item} is not inside the outbox {self.root}") from None
        return str(_checked_rel_path(path.as_posix()))


def _move_into_place(source: Path, target: Path) -> None:
    """One rename into the outbox (the caller syncs the folder before any rename that
    must come after this one)."""
    os.replace(source, target)


def _fsync_dirs(folders: set[Path]) -> None:
    """``fsync`` every folder, in parallel when there are several (a journaling file
    system then commits them together)."""
    if len(folders) <= 1:
        for folder in folders:
            _fsync_dir(folder)
        return
    with ThreadPoolExecutor(min(16, len(folders)), thread_name_prefix="outbox-fsync") as pool:
        list(pool.map(_fsync_dir, folders))


def _matches(path: Path, sha256: str, size: int) -> bool:
    """Whether the file has ``size`` bytes and the sha256 ``sha256`` (size first: cheap)."""
    try:
        if path.stat().st_size != size:
            return False
        return file_sha256(path) == sha256
    except FileNotFoundError:
        return False


def _checked_staging(staging: str) -> PurePosixPath:
    rel = PurePosixPath(str(staging))
    if (
        len(rel.parts) != 2
        or rel.parts[0] != STAGING_DIR
        or not _TAG.match(rel.parts[1])
    ):
        raise InvalidInput(f"staging folder {staging!r} is not of the form {STAGING_DIR}/<name>")
    return rel


@contextlib.contextmanager
def _flocked(folder: Path, how: int) -> Iterator[None]:
    """Hold ``flock(folder, how)`` (waiting for it) for the block."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, how)
        yield
    finally:
        os.close(fd)


def _try_lock(folder: Path) -> int | None:
    """An exclusive ``flock`` on ``folder`` (a descriptor to close to release it), or
    ``None`` when another open descriptor holds it."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


__all__ = [
    "CHECKSUM_SUFFIX", "DIR_MODE", "FILE_MODE", "FileLost", "Outbox", "StagedFile",
    "StagedOutbox", "UploadTarget", "checksum_line", "file_sha256", "kind_of",
    "mutasi_csv_name", "registry_csv_name", "release_tag", "render_csv", "report_name",
    "worklist_path",
]  # fmt: skip
