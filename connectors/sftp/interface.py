"""The interface every delivery folder offers (:class:`ExtractSource`), what a fetch
returns (:class:`FetchedFile`) and the suffixes and sizes both sources share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

#: suffix of the checksum file written beside every data file
CHECKSUM_SUFFIX = ".sha256"
#: suffix of a download (or upload) in progress
PART_SUFFIX = ".part"
#: read/write block size while streaming and hashing
CHUNK_BYTES = 1024 * 1024
#: cap on what ``read_text`` (and the ``.sha256`` reader) accepts
MAX_TEXT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class FetchedFile:
    """A data file fetched and verified against its ``.sha256``."""

    #: the local copy (after the atomic rename)
    path: Path
    #: its SHA-256, lower-case hex (equal to the announced checksum)
    sha256: str
    #: its size in bytes
    size: int
    #: where it came from (``sftp://host:port/dir/file`` or the local path)
    remote: str


@runtime_checkable
class ExtractSource(Protocol):
    """One source's delivery folder (remote or local), addressed by relative paths.

    ``relative_path`` is relative to the source's root, e.g.
    ``2026/10/DUKCAPIL_3275_202610.csv.gz`` (see ``domain.extracts.ExtractSpec.remote_path``).
    """

    def fetch(self, relative_path: str, dest_dir: Path) -> FetchedFile:
        """Download a data file into ``dest_dir`` after checking it against its ``.sha256``."""
        ...

    def exists(self, relative_path: str) -> bool:
        """Whether the file is there (the data file only; says nothing of its checksum)."""
        ...

    def read_text(self, relative_path: str) -> str:
        """The content of a small UTF-8 text file."""
        ...

    def upload(self, local: Path, relative_path: str) -> None:
        """Put a local file at ``relative_path`` (written under a temporary name, then renamed)."""
        ...

    def upload_verified(self, local: Path, relative_path: str, sha256: str) -> None:
        """Put a local file and its ``.sha256`` at ``relative_path``, checked on the far
        side before they are renamed into place, the checksum first."""
        ...

    def close(self) -> None:
        """Release the connection (idempotent)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
