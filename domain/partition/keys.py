"""The partition of a person: a function of the NIK text alone, the same in every process and
on every machine (SplitMix64 of the NIK's int64 key; FNV-1a of any other text).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InvalidInput
from domain.identity import nik_keys, normalise_nik

# -- the partition of a NIK ----------------------------------------------------------------
_SPLITMIX_1 = np.uint64(0xBF58476D1CE4E5B9)



_SPLITMIX_2 = np.uint64(0x94D049BB133111EB)



_FNV_OFFSET = np.uint64(0xCBF29CE484222325)



_FNV_PRIME = np.uint64(0x100000001B3)



def _finalise(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (a bijection of ``uint64`` that spreads every input bit)."""
    x = np.asarray(x, dtype=np.uint64).copy()
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= _SPLITMIX_1
        x ^= x >> np.uint64(27)
        x *= _SPLITMIX_2
        x ^= x >> np.uint64(31)
    return x



def _text_digest(texts: pd.Series) -> np.ndarray:
    """A stable 64-bit FNV-1a digest of each text's code points and length (null as the
    empty text): vectorised over rows, one step per character position."""
    s = pd.Series(texts, dtype="str").fillna("")
    n = len(s)
    h = np.full(n, _FNV_OFFSET, dtype=np.uint64)
    if n == 0:
        return h
    lengths = s.str.len().to_numpy(dtype=np.int64)
    width = max(int(lengths.max()), 1)
    points = (
        np.asarray(s.to_numpy(dtype=object), dtype=f"<U{width}")
        .view(np.uint32)
        .reshape(n, width)
        .astype(np.uint64)
    )
    with np.errstate(over="ignore"):
        for i in range(width):  # characters, not people
            live = i < lengths
            h = np.where(live, (h ^ points[:, i]) * _FNV_PRIME, h)
        h = (h ^ lengths.astype(np.uint64)) * _FNV_PRIME
    return h



def partition_of_keys(keys: np.ndarray, n: int) -> np.ndarray:
    """Partition of well-formed NIKs given as ``int64`` keys (``nik_keys``)."""
    mixed = _finalise(np.asarray(keys, dtype=np.int64).view(np.uint64))
    return (mixed % np.uint64(n)).astype(np.int64)



def partition_of_text(texts: pd.Series, n: int) -> np.ndarray:
    """Partition of NIK texts as given (not stripped): equal texts, equal partitions."""
    check_partitions(n)
    keys = nik_keys(pd.Series(texts))
    out = partition_of_keys(np.where(keys >= 0, keys, 0), n)
    bad = keys < 0
    if bad.any():
        digest = _finalise(_text_digest(pd.Series(texts).iloc[np.flatnonzero(bad)]))
        out[bad] = (digest % np.uint64(n)).astype(np.int64)
    return out



def partition_of(nik: pd.Series, n: int) -> np.ndarray:
    """The partition (``0 .. n-1``, ``int64``) of each NIK, after stripping surrounding
    white space (:func:`domain.identity.normalise_nik`, as the rules compare NIKs).

    Deterministic across processes, machines and runs: well-formed NIKs by their
    ``int64`` key through the SplitMix64 finaliser, anything else (letters, 15 or 17
    characters, empty, null) by a 64-bit FNV-1a digest of the text. Vectorised.
    """
    return partition_of_text(normalise_nik(pd.Series(nik)).astype("str"), n)



def check_partitions(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidInput(f"the number of partitions must be a positive integer, got {n!r}")



def positions_by_partition(part: np.ndarray, n: int) -> list[np.ndarray]:
    """Row positions of each partition ``0 .. n-1``, ascending within each."""
    small = part.astype(np.int16) if n <= np.iinfo(np.int16).max else part
    order = np.argsort(small, kind="stable")  # a radix sort for 16-bit keys
    bounds = np.concatenate([[0], np.cumsum(np.bincount(part, minlength=n))])
    return [order[bounds[i] : bounds[i + 1]] for i in range(n)]

