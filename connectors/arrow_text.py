"""Text built with Arrow compute, handed to writers without a copy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def concatenated(strings: pa.Array | pa.ChunkedArray) -> memoryview:
    """The values of a null-free ``large_string`` array laid end to end, without a copy
    (the array's own data buffer, between its first and last offsets)."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if len(strings) == 0:
        return memoryview(b"")
    _validity, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)
    first, last = bounds[strings.offset], bounds[strings.offset + len(strings)]
    return memoryview(data)[int(first) : int(last)]
