"""Baselines are written in the background; publishing waits for them."""

from __future__ import annotations

import pandas as pd
import pytest

from connectors.baselines import BaselineStore
from tasks import validate

SHA = "ab" * 32


def test_background_write_is_complete_after_waiting(tmp_path):
    store = BaselineStore(tmp_path)
    frame = pd.DataFrame({"NIK": ["3275014101900001"], "DESIL": [3]})
    path = validate._save_baseline_later(store, "dtsen", "2026-10", SHA, frame)
    validate.wait_for_baselines()
    assert path.is_file()
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame)


def test_a_failed_write_is_raised_naming_the_source(tmp_path):
    class Broken(BaselineStore):
        def save(self, *args, **kwargs):
            raise OSError("disk full")

    validate._save_baseline_later(Broken(tmp_path), "dukcapil", "2026-10", SHA, pd.DataFrame())
    with pytest.raises(RuntimeError, match="dukcapil: writing the accepted rows .* disk full"):
        validate.wait_for_baselines()
    validate.wait_for_baselines()  # reported once, then forgotten
