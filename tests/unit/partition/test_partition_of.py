"""``partition_of``: a stable, balanced function of the NIK text alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from domain.partition import partition_of
from tests.unit.domain.frames import synthetic_city

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ["3275014101840001", "3275015512990123", "3171010101010001", "3275O14101840001",
          "327501410184000", "32750141018400011", "", "3275 014101840001"]  # fmt: skip
#: pinned: a change here reshuffles every partition (e.g. Parquet written by partition)
PINNED_7 = [5, 0, 2, 0, 5, 1, 5, 2]


def test_pinned_values():
    assert partition_of(pd.Series(SAMPLE, dtype="str"), 7).tolist() == PINNED_7


def test_same_in_another_process_with_another_hash_seed():
    """Not Python's salted ``hash()``: a fresh interpreter with another PYTHONHASHSEED
    computes the same partitions."""
    code = (
        "import json, sys, pandas as pd; from domain.partition import partition_of; "
        "print(json.dumps({n: partition_of(pd.Series(json.loads(sys.argv[1]), dtype='str'), n)"
        ".tolist() for n in (2, 3, 7, 64)}))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(SAMPLE)],
        capture_output=True, text=True, check=True, cwd=ROOT, env=env, timeout=120,
    )  # fmt: skip
    theirs = json.loads(out.stdout)
    for n in (2, 3, 7, 64):
        assert theirs[str(n)] == partition_of(pd.Series(SAMPLE, dtype="str"), n).tolist()


def test_range_balance_and_single_partition():
    niks = synthetic_city(40_000, 10, seed=3)["dukcapil"]["NIK"]
    for n in (1, 2, 3, 7, 16):
        part = partition_of(niks, n)
        assert part.dtype == np.int64 and part.min() >= 0 and part.max() < n
        counts = np.bincount(part, minlength=n)
        assert counts.min() > 0.9 * len(niks) / n and counts.max() < 1.1 * len(niks) / n
    assert (partition_of(niks, 1) == 0).all()


def test_surrounding_space_is_ignored_inner_text_is_not():
    a = partition_of(pd.Series(["3275014101840001", " 3275014101840001\t"], dtype="str"), 97)
    assert a[0] == a[1]
    malformed = pd.Series(["3275O14101840001", " 3275O14101840001 ", "", None, "  "], dtype="str")
    b = partition_of(malformed, 97)
    assert b[0] == b[1] and b[2] == b[3] == b[4]  # empty, null and blank are one text


def test_malformed_texts_spread():
    texts = pd.Series([f"32750141018{i:05d}X" for i in range(5_000)], dtype="str")
    counts = np.bincount(partition_of(texts, 5), minlength=5)
    assert counts.min() > 800


def test_empty_input():
    assert partition_of(pd.Series([], dtype="str"), 3).tolist() == []


@pytest.mark.parametrize("n", [0, -3, 2.0, None])
def test_bad_partition_count(n):
    with pytest.raises(ValueError, match="positive integer"):
        partition_of(pd.Series(SAMPLE, dtype="str"), n)
