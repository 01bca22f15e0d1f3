"""Samples generated once per test session (in pytest's temporary folders)."""

from __future__ import annotations

import time

import pytest

from devkit.sample import generate
from tests.unit.sample.samples import MEDIUM, SMALL


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory):
    started = time.perf_counter()
    manifest = generate(tmp_path_factory.mktemp("small") / "sample", **SMALL)
    return manifest, time.perf_counter() - started


@pytest.fixture(scope="session")
def medium_sample(tmp_path_factory):
    started = time.perf_counter()
    manifest = generate(tmp_path_factory.mktemp("medium") / "sample", **MEDIUM)
    return manifest, time.perf_counter() - started


@pytest.fixture(scope="session", params=["small", "medium"])
def sample(request, small_sample, medium_sample):
    """Each sample in turn (the manifest only)."""
    return {"small": small_sample, "medium": medium_sample}[request.param][0]
