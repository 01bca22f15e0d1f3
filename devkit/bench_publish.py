from __future__ import annotations

import secrets
import time

import numpy as np
import pandas as pd

from connectors.registry_db.engine import make_engine, upgrade
from connectors.registry_db.publishing import publish_release
from connectors.registry_db.rows import PublishRequest
from connectors.registry_db.schema import CHANGE_COLUMNS
from domain.codes import Decision, Source

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once


def synthetic_entries(n_entries: int, *, seed: int = 0) -> pd.DataFrame:
    """``n_entries`` made-up registry entries (vectorised) for benchmarks and tests."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n_entries, dtype=np.int64)
    decisions = np.array([d.value for d in Decision])[rng.integers(0, 5, n_entries)]
    participant = np.isin(decisions, ["KEEP", "REVERIFY", "TERMINATE"])
    kecamatan = rng.integers(1, 13, n_entries)
    kode_kecamatan = "32.75." + pd.Series(kecamatan).astype("string").str.zfill(2)
    kelurahan = (
        kode_kecamatan + "." + pd.Series(rng.integers(1001, 1006, n_entries)).astype("string")
    )
    nik = pd.Series(3275010101900000 + ids).astype("string")
    kpj = pd.Series(10_000_000_000 + ids).astype("string").where(participant, pd.NA)
    rank = pd.array(np.where(participant, 0, ids + 1), dtype="Int64")
    rank[participant] = pd.NA
    return pd.DataFrame(
        {
            "nik": nik,
            "kpj": kpj,
            "nama": "PESERTA " + pd.Series(ids).astype("string"),
            "kode_kelurahan": kelurahan,
            "kode_kecamatan": kode_kecamatan,
            "desil": pd.array(rng.integers(1, 11, n_entries), dtype="Int8"),
            "kategori": pd.Series(np.where(participant, "OJOL", None)).astype("string"),
            "jenis_kelamin": pd.array(rng.integers(1, 3, n_entries), dtype="Int8"),
            "umur": pd.array(rng.integers(15, 66, n_entries), dtype="Int16"),
            "kode_pekerjaan": pd.array(rng.integers(1, 90, n_entries), dtype="Int16"),
            "disabilitas": pd.array(rng.random(n_entries) < 0.06, dtype="boolean"),
            "decision": decisions,
            "reasons": np.where(decisions == "REVERIFY", "DESIL_ABOVE_LIMIT", ""),
            "match_method": np.where(participant, "NIK_EXACT", "NONE"),
            "suggested_nik": pd.Series([None] * n_entries, dtype="string"),
            "priority_rank": rank,
            "monthly_contribution_idr": np.where(decisions == "TERMINATE", 0, 16_800),
            "jkm_claim_alert": np.zeros(n_entries, dtype=bool),
            "evidence": np.where(
                decisions == "REVERIFY", "DESIL_ABOVE_LIMIT: DTSEN desil 7 (ranked 2025-10-01)", ""
            ),
        }
    )


def bench_publish(url: str, n_entries: int, *, period: str = "2000-01", seed: int = 0) -> float:
    """Seconds :func:`publish_release` takes to publish ``n_entries`` synthetic entries.

    Migrates ``url`` to head first and publishes a new version of ``period`` (``force``):
    run it against a throwaway database.
    """
    upgrade(url)
    engine = make_engine(url)
    try:
        entries = synthetic_entries(n_entries, seed=seed)
        digests = {s.value: secrets.token_hex(32) for s in Source}
        request = PublishRequest(
            period=period,
            rules_version="bench",
            input_digests=digests,
            flow_run_id=None,
            counts=entries["decision"].value_counts().to_dict(),
            monthly_cost_idr=int(entries["monthly_contribution_idr"].sum()),
            quota=n_entries,
            entries=entries,
            changes=pd.DataFrame(columns=list(CHANGE_COLUMNS)),
            force=True,
        )
        started = time.perf_counter()
        publish_release(engine, request)
        return time.perf_counter() - started
    finally:
        engine.dispose()

