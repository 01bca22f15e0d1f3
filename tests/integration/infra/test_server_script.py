"""``infra/server.sh`` run for real against the PostgreSQL of the test machine, with
stand-ins for ``prefect`` and ``sigap`` (they record how they were called and stay up
like the real ones): the Prefect database is created as the URL's user on the URL's host
and port (not always ``-U postgres``), the logs go outside the repository, telemetry is
off, the report server is started and the runs are told its URL, and SIGTERM stops the
worker, the report server and the Prefect server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

ROOT = Path(__file__).parents[3]
SCRIPT = ROOT / "infra" / "server.sh"
ROLE = "sigap_server_sh_test"

#: a stand-in for `prefect` and `sigap`: records its arguments, environment and pid;
#: `server start` answers HTTP (the script waits for /health); long-running commands stay
#: up until terminated
FAKE = """#!{python}
import json, os, sys, time
record = {{"tool": os.path.basename(sys.argv[0]), "args": sys.argv[1:], "pid": os.getpid(),
          "env": {{k: v for k, v in os.environ.items() if k.startswith(("PREFECT_", "SIGAP_", "DO_NOT"))}}}}
with open(os.environ["FAKE_RECORD"], "a") as fh:
    fh.write(json.dumps(record) + "\\n")
args = sys.argv[1:]
if args[:2] == ["server", "start"]:
    from http.server import BaseHTTPRequestHandler, HTTPServer
    class Ok(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b"true")
        def log_message(self, *a):
            pass
    HTTPServer(("127.0.0.1", int(args[args.index("--port") + 1])), Ok).serve_forever()
elif args[:2] == ["worker", "start"] or args[:1] == ["files-serve"]:
    print("up", flush=True)
    while True:
        time.sleep(1)
"""


def _psql(*args: str, check: bool = True) -> str:
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc", *args],
        capture_output=True, text=True, check=check,
    )  # fmt: skip
    return result.stdout.strip()


@pytest.fixture()
def postgres():
    try:
        _psql("SELECT 1")
    except (OSError, subprocess.CalledProcessError) as exc:
        skip_or_fail(f"PostgreSQL at 127.0.0.1:5432 is needed: {exc}")
    if _psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}'") != "1":
        _psql(f"CREATE ROLE {ROLE} LOGIN CREATEDB")
    name = f"sigap_server_sh_{uuid.uuid4().hex[:8]}"
    yield name
    _psql(f'DROP DATABASE IF EXISTS "{name}"', check=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _records(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) is not running
    status = Path(f"/proc/{pid}/status")
    return not (status.is_file() and "State:\tZ" in status.read_text())


def test_server_script_creates_the_database_as_the_urls_user_and_stops_on_sigterm(
    postgres, tmp_path
):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("prefect", "sigap"):
        fake = bin_dir / tool
        fake.write_text(FAKE.format(python=sys.executable))
        fake.chmod(0o755)
    record = tmp_path / "record.jsonl"
    state = tmp_path / "state"
    config = tmp_path / "sigap.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "XDG_STATE_HOME": str(state),
        "PREFECT_DB_URL": f"postgresql+asyncpg://{ROLE}@127.0.0.1:5432/{postgres}",
        "PREFECT_PORT": str(port),
        "PREFECT_BIN": str(bin_dir / "prefect"),
        "SIGAP_BIN": str(bin_dir / "sigap"),
        "SIGAP_PYTHON": sys.executable,
        "SIGAP_CONFIG": str(config),
        "FAKE_RECORD": str(record),
    }
    before = {p.name for p in ROOT.iterdir()}
    script = subprocess.Popen(
        ["bash", str(SCRIPT)], env=env, cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not any(r["args"][:2] == ["worker", "start"] for r in _records(record)):
            assert script.poll() is None, script.communicate()[0]
            assert time.monotonic() < deadline, "the script did not reach the worker"
            time.sleep(0.2)
        # the Prefect database: created on the URL's host and port, owned by its user
        owner = _psql(
            f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{postgres}'"
        )
        assert owner == ROLE
        records = _records(record)
        calls = [r["args"] for r in records]
        assert ["server", "start", "--host", "127.0.0.1", "--port", str(port)] in calls
        assert ["deploy", "--all", "--prefect-file", "infra/prefect.yaml"] in calls
        assert ["files-serve"] in calls
        for r in records:  # telemetry off everywhere, the runs told where the links lead
            assert r["env"]["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
            assert r["env"]["DO_NOT_TRACK"] == "1"
        worker = next(r for r in records if r["args"][:2] == ["worker", "start"])
        assert worker["env"]["SIGAP_LINKS__BASE_URL"] == "http://127.0.0.1:8765/"
        assert worker["env"]["PREFECT_UI_API_URL"] == f"http://127.0.0.1:{port}/api"
        # the logs are outside the repository
        assert (state / "sigap" / "prefect-server.log").is_file()
        assert (state / "sigap" / "report-server.log").is_file()
        assert {p.name for p in ROOT.iterdir()} == before

        # SIGTERM (systemd's stop): everything it started stops, and so does it
        running = [r["pid"] for r in records if r["args"][:1] in (["server"], ["worker"], ["files-serve"])]
        assert len(running) == 3 and all(_alive(pid) for pid in running)
        script.send_signal(signal.SIGTERM)
        output, _ = script.communicate(timeout=30)
        assert script.returncode == 0, output
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in running) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in running if _alive(pid)] == []
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()
