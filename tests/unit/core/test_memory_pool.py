"""``tasks.progress.use_jemalloc``: pyarrow's memory pool for a run."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tasks.progress import use_jemalloc


def test_use_jemalloc_makes_it_pyarrows_pool_unless_the_environment_chooses(monkeypatch):
    if "jemalloc" not in pa.supported_memory_backends():
        pytest.skip("this pyarrow build has no jemalloc")
    before = pa.default_memory_pool()
    try:
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        assert use_jemalloc() == "mimalloc"  # the operator's choice stands
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
        assert use_jemalloc() == "jemalloc"
        assert pa.default_memory_pool().backend_name == "jemalloc"
        assert pa.array(range(1000)).sum().as_py() == 499500  # allocations work
    finally:
        pa.set_memory_pool(before)
