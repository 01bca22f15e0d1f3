"""A run's accepted rows (``tasks.validate.AcceptedRows``): an explicit handle the flow
passes to its tasks, not module state. Baselines are written in the background;
publishing waits for them."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from connectors.baselines import BaselineStore
from tasks import validate
from tasks.validate import AcceptedRows

SHA = "ab" * 32


def test_background_write_is_complete_after_waiting(tmp_path):
    store = BaselineStore(tmp_path)
    frame = pd.DataFrame({"NIK": ["3275014101900001"], "DESIL": [3]})
    with AcceptedRows("2026-10") as rows:
        path = rows.keep(store, "dtsen", SHA, frame)
        rows.wait()
        assert path.is_file()
        pd.testing.assert_frame_equal(pd.read_parquet(path), frame)


def test_the_rows_are_given_back_for_this_run_only(tmp_path):
    frame = pd.DataFrame({"NIK": ["3275014101900001"]})
    with AcceptedRows("2026-10") as rows:
        rows.keep(BaselineStore(tmp_path), "dukcapil", SHA, frame)
        assert rows.frame("dukcapil", "2026-10", SHA) is frame
        assert rows.frame("dukcapil", "2026-09", SHA) is None  # another period: read the file
        assert rows.frame("dukcapil", "2026-10", "cd" * 32) is None  # another delivery
        rows.drop_frames()
        assert rows.frame("dukcapil", "2026-10", SHA) is None
    # two runs never see each other's rows
    assert AcceptedRows("2026-10").frame("dukcapil", "2026-10", SHA) is None


def test_leaving_the_block_waits_for_the_writes_and_lets_the_rows_go(tmp_path):
    release = threading.Event()

    class Slow(BaselineStore):
        def save(self, *args, **kwargs):
            release.wait(5)
            return super().save(*args, **kwargs)

    frame = pd.DataFrame({"NIK": ["3275014101900001"]})
    with AcceptedRows("2026-10") as rows:
        path = rows.keep(Slow(tmp_path), "dtsen", SHA, frame)
        assert rows.being_written(str(path))
        release.set()
    assert path.is_file()
    assert rows.frame("dtsen", "2026-10", SHA) is None


def test_a_failed_write_is_raised_naming_the_source(tmp_path):
    class Broken(BaselineStore):
        def save(self, *args, **kwargs):
            raise OSError("disk full")

    rows = AcceptedRows("2026-10")
    path = rows.keep(Broken(tmp_path), "dukcapil", SHA, pd.DataFrame())
    with pytest.raises(RuntimeError, match="dukcapil: writing the accepted rows .* disk full"):
        rows.wait()
    assert not rows.being_written(str(path))
    rows.wait()  # reported once, then forgotten
    rows.close()


def test_no_module_state_carries_a_run_s_data():
    """Issue 17: the validation task and the reconciliation talked through module
    globals; the flow now passes the handle."""
    for name in ("_ACCEPTED", "_WRITER", "_PENDING", "forget_accepted", "accepted_in_memory"):
        assert not hasattr(validate, name), name
