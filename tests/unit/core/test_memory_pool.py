"""``core.memory.use_memory_pool``: pyarrow's memory pool for a run
(setting ``scale.arrow_memory_pool``)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from core.settings import Settings
from core.memory import use_memory_pool


def test_the_setting_chooses_pyarrows_pool_jemalloc_by_default():
    assert Settings().scale.arrow_memory_pool == "jemalloc"
    before = pa.default_memory_pool()
    try:
        for backend in ("mimalloc", "jemalloc", "system"):
            if backend not in pa.supported_memory_backends():
                continue
            assert use_memory_pool(backend) == backend
            assert pa.default_memory_pool().backend_name == backend
            assert pa.array(range(1000)).sum().as_py() == 499500  # allocations work
        with pytest.raises(ValueError, match="unknown pyarrow memory pool"):
            use_memory_pool("tcmalloc")
    finally:
        pa.set_memory_pool(before)
