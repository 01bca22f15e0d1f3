"""The package installs: the wheel built from this checkout, installed into a fresh virtual
environment outside the checkout, runs ``sigap demo`` on a small sample from there.

This is what a non-editable install (a server's deployment) gets: the package data (the
region codes, the occupation codes, the migrations) must be in the wheel, and nothing may
import from the checkout. The dependencies are the locked ones (``uv export`` of uv.lock),
installed by uv from its cache or the package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    uv = Path(sys.executable).with_name("uv")
    if not uv.is_file():
        skip_or_fail("uv is not installed in this environment (./dev setup installs it)")
    return str(uv)


def _run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout + result.stderr


def test_the_wheel_installs_outside_the_checkout_and_runs_the_demo(tmp_path_factory):
    uv = _uv()
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGAP_", "PYTHON", "VIRTUAL_ENV"))}
    env["PREFECT_HOME"] = str(work / "prefect-home")

    # build the wheel from a copy of the tracked files (no .venv, no data, no caches)
    source = work / "source"
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        src = ROOT / name
        if src.is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, source / name)
    dist = work / "dist"
    _run([uv, "build", "--wheel", "--out-dir", str(dist), str(source)], cwd=work, env=env, timeout=600)
    wheels = list(dist.glob("sigap_registry-*.whl"))
    assert len(wheels) == 1, wheels

    # a fresh environment with the locked dependencies and the wheel
    requirements = work / "requirements.txt"
    _run(
        [uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes",
         "--project", str(ROOT), "--output-file", str(requirements)],
        cwd=work, env=env, timeout=120,
    )  # fmt: skip
    venv = work / "venv"
    _run([uv, "venv", "--python", sys.executable, str(venv)], cwd=work, env=env, timeout=120)
    python = venv / "bin" / "python"
    _run(
        [uv, "pip", "install", "--python", str(python), "-r", str(requirements), str(wheels[0])],
        cwd=work, env=env, timeout=900,
    )  # fmt: skip

    # from outside the checkout: the installed package, not the source tree
    outside = work / "elsewhere"
    outside.mkdir()
    where = _run(
        [str(python), "-c", "import domain, devkit, core; print(domain.__file__)"],
        cwd=outside, env=env, timeout=60,
    )
    assert str(venv) in where and str(ROOT) not in where

    demo = outside / "demo"
    output = _run(
        [str(venv / "bin" / "sigap"), "demo", "--residents", "1000", "--months", "2",
         "--workdir", str(demo)],
        cwd=outside, env=env, timeout=900,
    )  # fmt: skip
    assert "published release v1" in output
    outbox = demo / "outbox"
    assert sorted(p.name for p in outbox.glob("registry_*_v1.csv")) == [
        "registry_202608_v1.csv",
        "registry_202609_v1.csv",
    ]
    assert (demo / "registry.sqlite").is_file()
