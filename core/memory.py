"""The process's memory: resident size, handing freed memory back between stages, pyarrow's
memory pool and freezing the heap a run starts with (the runtime helpers of the flows and
the benchmarks)."""

from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from core.errors import InvalidInput


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def release_memory(*, collect: bool = False) -> None:
    """Hand memory freed by the work just done back to the system: a Python collection,
    Arrow's memory pool (which keeps freed pages for reuse) and glibc's heap
    (``malloc_trim``, where numpy's buffers live). Called between stages and between
    extracts, so that the next one does not grow on top of the slack the previous one left
    (the peak of a long run is the peak of its largest step, not their sum).

    ``collect`` runs a full ``gc.collect()`` first: needed after a step whose objects
    hold frames in reference cycles (Great Expectations' validators: without it a
    city-scale period peaks ~0.5 GiB higher), but it costs about half a second on the
    run's heap, so stage ends go without it (measured: 4 s per period when every release
    collected)."""
    if collect:
        gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:  # pragma: no cover - pyarrow is a dependency
        pass
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def use_memory_pool(backend: str = "jemalloc") -> str:
    """Make ``backend`` (``jemalloc``, ``mimalloc`` or ``system``; the setting
    ``scale.arrow_memory_pool``) pyarrow's default memory pool, where this pyarrow build
    has it (the Linux wheels have all three); returns the pool's backend name.

    pyarrow's default, mimalloc, hands freed pages back to the system about 10 ms after
    they are freed, so the next allocation of the same size faults fresh pages in again;
    jemalloc keeps them about a second, long enough for the next column of the same
    extract. A period's validation (three extracts, the first in a fresh process) took
    12.6-13.3 s with mimalloc and 9.6-10.8 s with jemalloc, peaking 100-150 MiB lower."""
    import pyarrow as pa

    pools = {
        "jemalloc": pa.jemalloc_memory_pool,
        "mimalloc": pa.mimalloc_memory_pool,
        "system": pa.system_memory_pool,
    }
    if backend not in pools:
        raise InvalidInput(f"unknown pyarrow memory pool {backend!r}: one of {', '.join(pools)}")
    if backend in pa.supported_memory_backends():
        if pa.default_memory_pool().backend_name != backend:
            pa.set_memory_pool(pools[backend]())
    return pa.default_memory_pool().backend_name


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave the objects alive now (imported modules, Prefect's and Great Expectations'
    machinery: some 360,000 of them) out of Python's cyclic garbage collections for the
    duration of the block, then hand them back (``gc.freeze``/``gc.unfreeze``).

    A run's full collections (:func:`release_memory` with ``collect``, and the ones
    Python starts itself) then walk only what the run creates: 0.23 s -> 0.01 s per
    collection at city scale. Objects frozen here that the run frees are still freed by
    reference counting, and after the block every object is collectable again (a
    long-lived worker does not keep what one run froze). Nested use leaves the outer
    freeze alone.

    Nothing is collected before the freeze: a full collection of a warm process's heap
    costs 0.4-0.5 s at the start of every period, and what little cyclic garbage is
    frozen with the rest is collected after the block, like any other."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class PeakSampler:
    """Samples the resident size every ``interval`` seconds while the block runs; ``peak``
    is the largest seen."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())
