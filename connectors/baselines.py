"""The baseline store: each period's accepted (validated, typed) rows of each extract,
kept as Parquet so that the next period can compare against them (change detection) and
the period can be reconciled again without re-reading the provider's file.

One file per delivery: ``<root>/<source>/<period>/<sha256>.parquet``, the sha256 being
the delivered file's checksum, so a provider's corrected resend (new checksum) is stored
beside the first delivery and never overwrites it. Files are zstd-compressed and written
atomically (temporary file in the same folder, ``fsync``, rename): a reader sees the whole
file or none. Dtypes round-trip (``str``, ``int8``/``int16``, nullable ``Int8``/``Int16``,
``bool``, ``datetime64``), as does the index.

The rows are personal data: folders are created ``0750`` and files ``0640`` whatever the
umask (``connectors.files``).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from connectors.files import fsync_dir, open_private, private_dirs
from core.errors import DataError, InvalidInput
from domain.codes import Source
from domain.periods import parse_period

SUFFIX = ".parquet"
COMPRESSION = "zstd"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BaselineStore:
    """Accepted extract rows by ``(source, period, sha256)`` under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- naming -------------------------------------------------------------------------
    def path(self, source: Source | str, period: str, sha256: str) -> Path:
        """``<root>/<source>/<period>/<sha256>.parquet`` (the arguments are checked, so no
        argument can point outside the root)."""
        return self._folder(source, period) / f"{_digest(sha256)}{SUFFIX}"

    def _folder(self, source: Source | str, period: str) -> Path:
        try:
            src = Source(str(source))
        except ValueError:
            raise InvalidInput(
                f"unknown source {source!r}: one of {', '.join(s.value for s in Source)}"
            ) from None
        parse_period(period)
        return self.root / src.value / period

    # -- API ----------------------------------------------------------------------------
    def save(self, source: Source | str, period: str, sha256: str, frame: pd.DataFrame) -> Path:
        """Write ``frame`` atomically; returns its path. Saving the same delivery again
        replaces the file with the same content."""
        target = self.path(source, period, sha256)
        private_dirs(target.parent)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            with open_private(tmp, exclusive=True) as fh:
                frame.to_parquet(fh, engine="pyarrow", compression=COMPRESSION)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)
        return target

    def load(
        self,
        source: Source | str,
        period: str,
        sha256: str,
        columns: list[str] | tuple[str, ...] | None = None,
    ) -> pd.DataFrame | None:
        """The stored frame (only ``columns`` when given), or ``None`` when this delivery
        was never saved."""
        target = self.path(source, period, sha256)
        if not target.is_file():
            return None
        try:
            return pd.read_parquet(
                target, engine="pyarrow", columns=list(columns) if columns is not None else None
            )
        except (pa.ArrowException, OSError, ValueError) as exc:  # damaged: say which file
            raise DataError(
                f"baseline file cannot be read ({type(exc).__name__})",
                file=str(target),
                hint="delete it and re-run the period that produced it: validation writes it again",
            ) from None

    def load_rows(
        self,
        source: Source | str,
        period: str,
        sha256: str,
        column: str,
        values: list[str],
        columns: list[str] | tuple[str, ...] | None = None,
    ) -> pd.DataFrame | None:
        """The stored rows whose ``column`` is one of ``values`` (only ``columns`` when
        given), or ``None`` when this delivery was never saved: one person's rows without
        loading the city. Each row group's ``column`` is read alone and the other columns
        only of the row groups that hold a match (a filtered read would decode every
        column of every row: 4 s and 360 MB for one NIK of 2.6 million, against about a
        second and a third of the memory)."""
        target = self.path(source, period, sha256)
        if not target.is_file():
            return None
        try:
            parquet = pq.ParquetFile(target)
            schema = parquet.schema_arrow
            wanted = pa.array([str(v) for v in values], type=pa.string())
            # the requested columns (in that order), then the stored index (pandas metadata)
            index = [n for n in schema.pandas_metadata.get("index_columns", []) if isinstance(n, str)]
            names = list(columns) if columns is not None else list(schema.names)
            names += [n for n in index if n not in names]
            pieces = []
            for group in range(parquet.num_row_groups):
                keys = parquet.read_row_group(group, columns=[column]).column(0)
                hit = pc.is_in(keys.cast(pa.string()), value_set=wanted)
                if pc.any(hit).as_py():
                    at = pc.indices_nonzero(hit)
                    # one column at a time: only the matching rows are kept
                    pieces.append(
                        pa.table(
                            [parquet.read_row_group(group, columns=[n]).column(0).take(at)
                             for n in names],
                            names=names,
                        )
                    )  # fmt: skip
            found = (
                pa.concat_tables(pieces)
                if pieces
                else pa.schema([schema.field(n) for n in names]).empty_table()
            )
            return found.replace_schema_metadata(schema.metadata).to_pandas()
        except (pa.ArrowException, OSError, ValueError) as exc:  # damaged: say which file
            raise DataError(
                f"baseline file cannot be read ({type(exc).__name__})",
                file=str(target),
                hint="delete it and re-run the period that produced it: validation writes it again",
            ) from None

    def exists(self, source: Source | str, period: str, sha256: str) -> bool:
        return self.path(source, period, sha256).is_file()

    def digests(self, source: Source | str, period: str) -> list[str]:
        """The sha256 of every delivery stored for ``(source, period)``, sorted."""
        folder = self._folder(source, period)
        if not folder.is_dir():
            return []
        return sorted(
            p.name[: -len(SUFFIX)]
            for p in folder.iterdir()
            if p.is_file() and p.name.endswith(SUFFIX) and _SHA256.match(p.name[: -len(SUFFIX)])
        )


def _digest(sha256: str) -> str:
    text = str(sha256).strip().lower()
    if not _SHA256.match(text):
        raise InvalidInput("sha256 must be 64 hexadecimal characters")
    return text
