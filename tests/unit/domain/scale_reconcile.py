"""Scale check of ``domain.reconcile`` (not collected by pytest: run it by hand).

    .venv/bin/python tests/unit/domain/scale_reconcile.py [--residents 2600000] [--participants 60000]

Builds a synthetic city with :func:`frames.synthetic_city`, then times one
reconciliation and reports the peak resident memory *of the reconciliation alone*
(Linux: after the inputs are built, freed memory is returned to the system and the
peak-RSS mark is reset through ``/proc/self/clear_refs``). No files are written.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import sys
import time
from pathlib import Path

import pyarrow as pa


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=2_600_000)
    parser.add_argument("--participants", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from frames import PERIOD, synthetic_city

    from domain.reconcile import ReconcileInputs, reconcile
    from domain.rules import RuleParameters

    t0 = time.perf_counter()
    src = synthetic_city(args.residents, args.participants, seed=args.seed)
    built = time.perf_counter() - t0
    inputs = ReconcileInputs(PERIOD, src["dukcapil"], src["dtsen"], src["bpjstk"])
    params = RuleParameters()
    reconcile(ReconcileInputs(PERIOD, src["dukcapil"].head(1000), src["dtsen"].head(1000),
                              src["bpjstk"].head(100)), params)  # warm caches (reference data)  # fmt: skip

    # hand freed memory back to the system first, so that the reconciliation cannot hide
    # its own peak in the slack left by building the inputs
    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS mark
    except OSError:
        pass
    before = _rss_kib("VmRSS")
    t0 = time.perf_counter()
    result = reconcile(inputs, params)
    took = time.perf_counter() - t0
    peak = _rss_kib("VmHWM")
    print(
        f"inputs: {len(src['dukcapil']):,} Dukcapil, {len(src['dtsen']):,} DTSEN, "
        f"{len(src['bpjstk']):,} BPJS rows (built in {built:.1f} s)"
    )
    print(f"reconcile: {took:.2f} s, {len(result.entries):,} entries")
    print(f"memory: RSS before {before / 1024:,.0f} MiB, peak during {peak / 1024:,.0f} MiB "
          f"(+{(peak - before) / 1024:,.0f} MiB)")  # fmt: skip
    print("counts:", result.counts)


if __name__ == "__main__":
    main()
