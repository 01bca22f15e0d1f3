"""generate(): determinism, the manifest, arguments, progress and speed."""

from __future__ import annotations

import hashlib
import json
import shutil
import time

import pytest

from devkit.sample import SampleTooSmall, default_bpjs_rows, generate, load_manifest, read_truth
from devkit.sample.plants import Planter
from tests.unit.sample.agreement import assert_truth_agrees
from tests.unit.sample.samples import SMALL
from tests.unit.sample.oracle import read_extract


def _digests(root) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(small_sample, tmp_path):
    manifest, _ = small_sample
    again = generate(tmp_path / "again", **SMALL)
    assert [f.sha256 for f in again.files] == [f.sha256 for f in manifest.files]
    assert _digests(again.out_dir) == _digests(manifest.out_dir)


def test_another_seed_gives_other_files(small_sample, tmp_path):
    manifest, _ = small_sample
    other = generate(tmp_path / "other", **{**SMALL, "seed": SMALL["seed"] + 1})
    assert {f.sha256 for f in other.files}.isdisjoint({f.sha256 for f in manifest.files})


def test_manifest_lists_every_file_with_its_checksum_and_rows(small_sample):
    manifest, _ = small_sample
    assert manifest.periods == tuple(SMALL["periods"])
    assert len(manifest.files) == 3 * len(SMALL["periods"])
    for f in manifest.files:
        assert f.path.is_file() and f.checksum_path.is_file()
        assert hashlib.sha256(f.path.read_bytes()).hexdigest() == f.sha256
        assert f.size == f.path.stat().st_size
        assert f.path.is_relative_to(manifest.sftp_root)
        assert f.rows > 0
    assert manifest.file("bpjstk", "2026-09").rows == manifest.file("bpjstk", "2026-09").rows
    assert manifest.file("dukcapil", "2026-08").rows == pytest.approx(SMALL["residents"], rel=0.02)
    assert manifest.file("bpjstk", "2026-08").rows == default_bpjs_rows(SMALL["residents"])
    for t in manifest.truth:
        assert t.entries.is_relative_to(manifest.truth_root)
        entries, changes = read_truth(manifest.truth_root, t.period)
        assert (len(entries), len(changes)) == (t.entry_rows, t.change_rows)
    assert (manifest.truth_root / "README.md").is_file()


def test_load_manifest_reads_back_and_refuses_a_damaged_sample(small_sample, tmp_path):
    manifest, _ = small_sample
    loaded = load_manifest(manifest.out_dir)
    assert loaded == manifest
    copy = tmp_path / "copy"
    shutil.copytree(manifest.out_dir, copy)
    assert load_manifest(copy) is not None
    victim = copy / manifest.files[0].path.relative_to(manifest.out_dir)
    victim.write_bytes(victim.read_bytes()[:-10])
    assert load_manifest(copy) is None
    assert load_manifest(tmp_path / "nothing-here") is None


def test_regenerating_removes_the_previous_samples_files(tmp_path):
    out = tmp_path / "sample"
    first = generate(out, residents=1_000, periods=["2026-08", "2026-09"], seed=3)
    second = generate(out, residents=1_000, periods=["2026-08"], seed=3)
    assert not first.file("dukcapil", "2026-09").path.exists()
    assert not (second.truth_root / "2026-09" / "entries.csv").exists()
    listed = {f.path for f in second.files} | {f.checksum_path for f in second.files}
    on_disk = {p for p in second.sftp_root.rglob("*") if p.is_file()}
    assert on_disk == listed
    assert json.loads((out / "manifest.json").read_text())["periods"] == ["2026-08"]


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([], "at least one period"),
        (["2026-13"], "YYYY-MM"),
        (["2026-08", "2026-10"], "consecutive"),
        ([f"2026-{m:02d}" for m in range(1, 13)] + ["2027-01"], "at most 12"),
    ],
)
def test_bad_periods_are_refused(tmp_path, periods, message):
    with pytest.raises(ValueError, match=message):
        generate(tmp_path / "x", residents=1_000, periods=periods)
    assert not (tmp_path / "x").exists()


def test_too_small_a_city_is_refused_with_a_clear_error(tmp_path):
    with pytest.raises(SampleTooSmall, match="residents"):
        generate(tmp_path / "x", residents=100, periods=["2026-08"])
    with pytest.raises(SampleTooSmall, match="more residents"):
        generate(tmp_path / "y", residents=1_000, periods=["2026-08"], bpjs_rows=5_000)


def test_progress_goes_from_zero_to_one(tmp_path):
    seen: list[tuple[str, float]] = []
    generate(
        tmp_path / "p",
        residents=1_000,
        periods=["2026-08", "2026-09"],
        progress=lambda m, f: seen.append((m, f)),
    )
    fractions = [f for _, f in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    assert any("dukcapil written" in m for m, _ in seen)


def test_default_bpjs_list_follows_the_city_ratio():
    assert default_bpjs_rows(2_600_000) == 60_000
    assert default_bpjs_rows(1_000) == 300
    assert default_bpjs_rows(52_000) == 1_200


def test_small_and_medium_samples_are_fast(small_sample, medium_sample, tmp_path):
    # measured on a shared 2-core machine: about 0.5 s and 1 s; the bounds leave room
    assert small_sample[1] < 15
    assert medium_sample[1] < 30
    started = time.perf_counter()
    generate(tmp_path / "one", residents=20_000, periods=["2027-01"], seed=5)
    assert time.perf_counter() - started < 20


def test_a_small_city_hosts_twelve_periods(tmp_path, monkeypatch):
    """1,000 residents over twelve periods: when no suitable household is left, a planted
    person moves to a household of their own (this seed used to be refused as too small)."""
    moved: list[int | None] = []
    original = Planter._own_household

    def spy(self, *args, **kwargs):
        moved.append(original(self, *args, **kwargs))
        return moved[-1]

    monkeypatch.setattr(Planter, "_own_household", spy)
    periods = [f"{2026 + (8 + i) // 12}-{(8 + i) % 12 + 1:02d}" for i in range(12)]
    sample = generate(tmp_path / "twelve", residents=1_000, periods=periods, seed=4)
    assert moved and None not in moved
    assert sample.periods == tuple(periods)
    assert_truth_agrees(sample)


def test_dtsen_without_the_optional_disability_column(tmp_path):
    """``disability_column=False``: the DTSEN files leave DISABILITAS out (the delivery
    stays valid); everything else is byte for byte the same sample."""
    with_column = generate(tmp_path / "with", residents=1_000, periods=["2026-08"], seed=9)
    without = generate(
        tmp_path / "without", residents=1_000, periods=["2026-08"], seed=9, disability_column=False
    )
    assert with_column.disability_column and not without.disability_column
    assert load_manifest(tmp_path / "without").disability_column is False
    for source in ("dukcapil", "bpjstk"):
        assert with_column.file(source, "2026-08").sha256 == without.file(source, "2026-08").sha256
    dtsen = read_extract(without.file("dtsen", "2026-08").path)
    assert "DISABILITAS" not in dtsen.columns
    full = read_extract(with_column.file("dtsen", "2026-08").path)
    assert full.drop(columns="DISABILITAS").equals(dtsen[list(full.drop(columns="DISABILITAS").columns)])
    shares = full["DISABILITAS"].value_counts(normalize=True)
    assert set(shares.index) == {"Y", "N", ""}
    assert 0.03 < shares["Y"] < 0.09 and 0.01 < shares[""] < 0.05
