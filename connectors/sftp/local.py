"""A source's delivery tree in a local folder: :class:`LocalSource`."""

from __future__ import annotations

import errno
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from connectors.files import open_private
from connectors.sftp.checksums import _HashingWriter, sha256_file
from connectors.sftp.discipline import _ChecksummedSource, _remove_quietly
from connectors.sftp.interface import CHUNK_BYTES, PART_SUFFIX
from connectors.sftp.transfer import _send_bytes
from core.errors import DataError


class LocalSource(_ChecksummedSource):
    """A source's delivery tree in a local folder (operators without SFTP, tests).

    Same interface and the same ``.sha256`` discipline as :class:`SftpSource`.
    """

    _where = "local"

    def __init__(
        self,
        root: Path,
        name: str,
        *,
        checksum_wait_seconds: float = 0.0,
        checksum_poll_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            name,
            checksum_wait_seconds=checksum_wait_seconds,
            checksum_poll_seconds=checksum_poll_seconds,
            sleep=sleep,
        )
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalSource(root={str(self.root)!r}, name={self.name!r})"

    def _path(self, rel: str) -> Path:
        return self.root / rel

    def _describe(self, rel: str) -> str:
        return str(self._path(rel))

    def _size(self, rel: str) -> int | None:
        path = self._path(rel)
        return path.stat().st_size if path.is_file() else None

    def _read_bytes(self, rel: str, limit: int) -> bytes | None:
        path = self._path(rel)
        if not path.is_file():
            return None
        if path.stat().st_size > limit:
            raise DataError(f"larger than {limit} bytes: not a small text file", file=str(path))
        return path.read_bytes()

    def _stream_to(self, rel: str, part: Path) -> tuple[str, int]:
        source = self._path(rel)
        if not source.is_file():
            raise FileNotFoundError(errno.ENOENT, "no such file", str(source))
        with open(source, "rb") as src, open_private(part) as out:
            writer = _HashingWriter(out)
            shutil.copyfileobj(src, writer, CHUNK_BYTES)
        return writer.digest.hexdigest(), writer.size

    def _put(self, local: Path, rel: str) -> None:
        target = self._path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + PART_SUFFIX)
        try:
            with open(local, "rb") as src, open(part, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK_BYTES)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, target)
        finally:
            _remove_quietly(part)

    def _send_part(self, local: Path, rel: str, *, resume: bool) -> int:
        target = self._path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = local.stat().st_size
        have = target.stat().st_size if resume and target.is_file() else None
        offset = have if have is not None and have <= size else 0
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | (0 if offset else os.O_TRUNC), 0o640)
        with open(fd, "r+b" if offset else "wb", closefd=True) as out, open(local, "rb") as src:
            out.seek(offset)
            src.seek(offset)
            _send_bytes(out, src)
            out.flush()
            os.fsync(out.fileno())
        return offset

    def _digest(self, rel: str) -> tuple[str, int]:
        path = self._path(rel)
        return sha256_file(path), path.stat().st_size

    def _write_small(self, rel: str, data: bytes) -> None:
        target = self._path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with open(fd, "wb", closefd=True) as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def _rename(self, rel: str, new_rel: str) -> None:
        os.replace(self._path(rel), self._path(new_rel))

    def _remove(self, rel: str) -> None:
        _remove_quietly(self._path(rel))
