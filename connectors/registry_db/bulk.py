"""Frames to rows: typing a frame for a table, and loading it in bulk on the open
transaction (PostgreSQL ``COPY ... FROM STDIN`` rendered with Arrow compute; SQLite and
others ``executemany`` in large batches).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    Table,
)
from sqlalchemy.engine import Connection

from connectors.arrow_text import concatenated
from core.errors import InvalidInput

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once

#: rows per executemany batch / per COPY chunk
INSERT_BATCH_ROWS = 50_000


def table_frame(
    frame: pd.DataFrame,
    table: Table,
    required: Sequence[str],
    *,
    what: str,
    optional: Sequence[str] = (),
) -> pd.DataFrame:
    """``frame``'s ``required`` (+ present ``optional``) columns, typed for ``table``.

    Raises ``ValueError`` naming missing columns, values of the wrong type, or nulls in a
    NOT NULL column (by column and count, never by value).
    """
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{what}: missing columns {missing}")
    names = list(required) + [c for c in optional if c in frame.columns]
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for name in names:
        out[name] = _typed(frame[name].reset_index(drop=True), table.c[name], what)
        column = table.c[name]
        if not column.nullable and column.server_default is None:
            nulls = int(out[name].isna().sum())
            if nulls:
                raise InvalidInput(f"{what}: column {name} has {nulls} empty value(s)")
    return out


def _typed(values: pd.Series, column: Column, what: str) -> pd.Series:
    kind = column.type
    try:
        if isinstance(kind, Boolean):
            return values.astype("boolean")
        if isinstance(kind, Integer):  # Integer, SmallInteger, BigInteger
            return pd.to_numeric(values).astype("Int64")
        if isinstance(kind, DateTime):
            return pd.to_datetime(values, utc=True)
        return values.astype("string")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{what}: column {column.name} cannot be stored as {kind}: {type(exc).__name__}"
        ) from None


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (``None`` for missing), for executemany."""
    plain = frame.astype(object)
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            plain[name] = pd.Series(
                list(frame[name].dt.to_pydatetime()), index=frame.index, dtype=object
            )
    return plain.where(frame.notna(), None).to_dict("records")


def bulk_load(
    conn: Connection, table: Table, frame: pd.DataFrame, order: np.ndarray | None = None
) -> None:
    """Insert ``frame`` (columns named after ``table``'s) in bulk on ``conn``'s transaction,
    its rows in ``order`` (row positions; default: as they are). The rows are taken in
    that order chunk by chunk while sending, not by reordering the whole frame first: on
    PostgreSQL that work then overlaps with the server's."""
    if len(frame) == 0:
        return
    if order is None:
        order = np.arange(len(frame))
    frame = _contiguous(frame)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_into(conn, table, frame, order)
        return
    if conn.dialect.name == "sqlite" and not any(
        isinstance(d, pd.DatetimeTZDtype) for d in frame.dtypes
    ):
        _insert_plain_rows(conn, table, frame, order)
        return
    records = plain_records(frame.take(order))
    statement = table.insert()
    for start in range(0, len(records), INSERT_BATCH_ROWS):
        conn.execute(statement, records[start : start + INSERT_BATCH_ROWS])


def _contiguous(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every Arrow-backed column in one chunk. The rows are taken batch by
    batch, and Arrow's take from a chunked column joins its chunks first, on every call:
    the entries of a whole city (two chunks, participants and residents) took 1.56 s to
    render as COPY text in 50,000-row batches, 0.97 s when joined once."""
    joined = {}
    for name in frame.columns:
        values = frame[name].array
        data = getattr(values, "_pa_array", None)
        if isinstance(data, pa.ChunkedArray) and data.num_chunks > 1:
            joined[name] = type(values)(data.combine_chunks(), dtype=values.dtype)
    if not joined:
        return frame
    return frame.assign(**joined)


def index_order(entries: pd.DataFrame) -> np.ndarray:
    """The order in which to insert the entries of one release: by NIK (Arrow's stable
    sort, nulls last), as row positions.

    They all get one ``release_id``, so in NIK order they make the ``(release_id, nik)``
    index grow at its right edge instead of at a random leaf per row: PostgreSQL spends
    15-20 % less CPU on the COPY of a whole city (543,000 entries), SQLite about 30 % less
    on its inserts. Nothing reads the physical order (``entry_no`` is the read order).
    """
    return pc.sort_indices(pa.array(entries["nik"], from_pandas=True)).to_numpy()  # nulls last


def _plain_values(values: pd.Series) -> list[Any]:
    """A column as plain Python values, ``None`` for missing (Arrow's converters: no
    per-value pandas work)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype == object:
        return values.astype(object).where(values.notna(), None).tolist()
    return pa.array(values, from_pandas=True).to_pylist()


def _insert_plain_rows(
    conn: Connection, table: Table, frame: pd.DataFrame, order: np.ndarray
) -> None:
    """SQLite: the driver's ``executemany`` with tuples of plain values (no per-row
    SQLAlchemy parameter processing; timestamps are not handled here)."""
    preparer = conn.dialect.identifier_preparer
    sql = (
        f"INSERT INTO {preparer.format_table(table)} "
        f"({', '.join(preparer.quote(c) for c in frame.columns)}) "
        f"VALUES ({', '.join('?' * len(frame.columns))})"
    )
    for start in range(0, len(frame), INSERT_BATCH_ROWS):
        chunk = frame.iloc[order[start : start + INSERT_BATCH_ROWS]]
        columns = [_plain_values(chunk[c]) for c in chunk.columns]
        conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _copy_into(conn: Connection, table: Table, frame: pd.DataFrame, order: np.ndarray) -> None:
    """PostgreSQL ``COPY table (columns) FROM STDIN`` (text format) on the open transaction.

    The text is rendered chunk by chunk (:func:`_copy_text`) while psycopg's
    ``QueuedLibpqWriter`` sends the previous chunks from its own thread, so that the
    rendering overlaps with the server's work on the rows already sent.
    """
    from psycopg.copy import QueuedLibpqWriter

    quote = conn.dialect.identifier_preparer.quote
    columns = list(frame.columns)
    sql = (
        f"COPY {conn.dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(c) for c in columns)}) FROM STDIN"
    )
    driver_connection = conn.connection.driver_connection
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy,
    ):
        for start in range(0, len(frame), INSERT_BATCH_ROWS):
            copy.write(_copy_text(frame.iloc[order[start : start + INSERT_BATCH_ROWS]]))


#: COPY text format escapes (backslash first)
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


#: any character COPY's text format escapes
_COPY_SPECIAL = r"[\\\t\n\r]"


_COPY_NULL = "\\N"


_TEXT = pa.large_string()


def _copy_field(values: pd.Series) -> pa.Array:
    """One column as COPY text fields: booleans ``t``/``f``, integers in decimal,
    timestamps ``YYYY-MM-DD HH:MM:SS.ffffff+00:00`` (UTC), anything else as its text with
    backslash, tab, newline and carriage return escaped; ``\\N`` for a missing value."""
    dtype = values.dtype
    if isinstance(dtype, pd.BooleanDtype) or dtype == bool:
        flags = pa.array(values, from_pandas=True, type=pa.bool_())
        text = pc.if_else(flags, pa.scalar("t", _TEXT), pa.scalar("f", _TEXT))
    elif isinstance(dtype, pd.DatetimeTZDtype):
        # small frames only (cases, deliveries): pandas formats the microseconds
        stamps = values.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
        text = pa.array(stamps.astype(object), from_pandas=True, type=_TEXT)
    elif pd.api.types.is_integer_dtype(dtype):
        text = pc.cast(pa.array(values, from_pandas=True), _TEXT)
    else:
        strings = values if isinstance(dtype, pd.StringDtype) else values.astype("string")
        text = pc.cast(pa.array(strings, from_pandas=True), _TEXT)
        if pc.any(pc.match_substring_regex(text, _COPY_SPECIAL)).as_py():  # one scan
            for old, new in _COPY_ESCAPES:  # rarely: a copy per character escaped
                if pc.any(pc.match_substring(text, old)).as_py():
                    text = pc.replace_substring(text, old, new)
    return pc.fill_null(text, pa.scalar(_COPY_NULL, _TEXT))


def _copy_text(frame: pd.DataFrame) -> memoryview:
    """``frame`` in PostgreSQL's COPY text format: one line per row, tab-separated,
    ``\\N`` for null (vectorised with Arrow compute: no Python work per row)."""
    fields = [_copy_field(frame[name].reset_index(drop=True)) for name in frame.columns]
    tab, newline, empty = (pa.scalar(s, _TEXT) for s in ("\t", "\n", ""))
    lines = pc.binary_join_element_wise(*fields, tab) if len(fields) > 1 else fields[0]
    return concatenated(pc.binary_join_element_wise(lines, empty, newline))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)

