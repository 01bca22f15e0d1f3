"""Shared fixtures of the end-to-end tests: one generated sample per session."""

from __future__ import annotations

from pathlib import Path

import pytest

E2E_RESIDENTS = 4_000
E2E_PERIODS = ["2026-08", "2026-09", "2026-10"]


@pytest.fixture(scope="session")
def e2e_sample(tmp_path_factory):
    from devkit.sample import generate

    out = tmp_path_factory.mktemp("e2e-sample")
    return generate(out, residents=E2E_RESIDENTS, periods=E2E_PERIODS, seed=20261121)


@pytest.fixture(scope="session")
def sftp_server(e2e_sample, tmp_path_factory):
    from devkit.sftp_server import EmbeddedSftpServer

    with EmbeddedSftpServer(root=Path(e2e_sample.sftp_root), state_dir=tmp_path_factory.mktemp("sftp-state")) as server:
        yield server
