"""The benchmark itself, at a small size: two periods over a real sshd into a throwaway
PostgreSQL database, every figure present in the JSON (the city-scale run is
``./dev bench``, not part of the suite)."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

pytestmark = [pytest.mark.prefect, pytest.mark.sshd, pytest.mark.postgres, pytest.mark.slow]


def test_bench_runs_two_periods_and_writes_its_figures(prefect_harness, tmp_path):
    from devkit.local_sshd import LocalSshd
    from devkit.bench import run_bench, throwaway_postgres

    from tests.conftest import skip_or_fail

    if not LocalSshd.available():
        skip_or_fail("OpenSSH sshd is not installed (./dev test installs it)")
    try:
        with throwaway_postgres():
            pass
    except Exception as exc:  # noqa: BLE001 - any connection failure
        skip_or_fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")

    output = tmp_path / "bench.json"
    console = Console(file=open(tmp_path / "console.txt", "w"), width=120)
    figures = run_bench(residents=3_000, workdir=tmp_path / "bench", database_url=None, output=output,
                        console=console, publish_sizes=(2_000,), profile=tmp_path / "profiles", repeat=2)
    assert json.loads(output.read_text()) == json.loads(json.dumps(figures))
    # two rounds, each into a fresh database: both publish version 1 of each period, and
    # each period reports one of its rounds (the median by total time: of two, the faster)
    rounds = figures["rounds"]
    assert len(rounds) == 2 and all(list(r) == ["2026-09", "2026-10"] for r in rounds)
    for period in ("2026-09", "2026-10"):
        assert [r[period]["counts"] for r in rounds] == [rounds[0][period]["counts"]] * 2
        fastest = min(rounds, key=lambda r: r[period]["total_seconds"])[period]
        assert figures["periods"][period] == fastest
    assert "min / median / max" in (tmp_path / "console.txt").read_text()
    assert figures["import_seconds"] > 0 and figures["prefect_start_seconds"] > 0
    assert list(figures["periods"]) == ["2026-09", "2026-10"]
    for period, fig in figures["periods"].items():
        stages = [s["stage"] for s in fig["stages"]]
        assert stages == ["download", "validate", "reconcile", "changes", "publish", "report"]
        assert all(s["seconds"] >= 0 and s["peak_rss_mib"] > 0 for s in fig["stages"])
        assert fig["total_seconds"] >= sum(s["seconds"] for s in fig["stages"]) - 0.5
        assert fig["floor_seconds"] >= 0 and fig["total_over_floor"] > 1
        # the ratio is of the unrounded figures; at this size the floor is ~0.01 s, so the
        # rounded ones cannot reproduce it: check that it is consistent with them
        floor_low, floor_high = fig["floor_seconds"] - 0.005, fig["floor_seconds"] + 0.005
        total_low, total_high = fig["total_seconds"] - 0.005, fig["total_seconds"] + 0.005
        if floor_low > 0:
            assert total_low / floor_high - 0.01 <= fig["total_over_floor"] <= total_high / floor_low + 0.01
        assert fig["rows"]["dukcapil"] > 2_500 and sum(fig["counts"].values()) > 0
        assert (tmp_path / "profiles" / f"profile-{period}.txt").is_file()
    assert figures["periods"]["2026-10"]["changes"] > 0
    assert [row["entries"] for row in figures["publish"]] == [2_000]


def test_a_repeated_bench_refuses_a_given_database(tmp_path):
    from devkit.bench import run_bench

    with pytest.raises(SystemExit, match="fresh database for every round"):
        run_bench(residents=10, workdir=tmp_path, database_url="postgresql+psycopg://x/y",
                  output=tmp_path / "b.json", console=Console(file=open(tmp_path / "c.txt", "w")),
                  repeat=2)
