"""Fixtures for the extract sources: a real OpenSSH sshd, the embedded server, a folder.

* ``sshd``: one throwaway OpenSSH server for the session (``devkit.local_sshd.LocalSshd``).
  Skipped with the reason when OpenSSH's server is not installed, except under ``CI=true``
  where a missing sshd fails the run (integration tests must not vanish silently in CI).
* ``embedded``: one ``EmbeddedSftpServer`` for the session.
* ``backend``: the same tests run against each of them and against a ``LocalSource``; each
  test gets its own delivery folder inside the served tree, so tests cannot see each
  other's files.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.sftp import ExtractSource, LocalSource, SftpSource
from devkit.sftp_server import EmbeddedSftpServer
from devkit.local_sshd import LocalSshd


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def require_sshd() -> None:
    """Skip (or, in CI, fail) when OpenSSH's sshd is not installed."""
    if LocalSshd.available():
        return
    reason = (
        "OpenSSH server not installed (/usr/sbin/sshd missing): apt-get install -y openssh-server"
    )
    if _in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def sshd_requirement() -> Callable[[], None]:
    """The skip-or-fail rule itself, for its own test."""
    return require_sshd


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSshd]:
    """A real OpenSSH sshd on a free loopback port for the whole session."""
    require_sshd()
    server = LocalSshd(tmp_path_factory.mktemp("sshd_root"), tmp_path_factory.mktemp("sshd_state"))
    with server:
        yield server


@pytest.fixture
def fresh_sshd(tmp_path: Path) -> Iterator[Callable[[], LocalSshd]]:
    """A factory of dedicated sshd instances (for tests that stop, restart or reconfigure
    the server); each is stopped at the end of the test."""
    require_sshd()
    started: list[LocalSshd] = []

    def make() -> LocalSshd:
        n = len(started)
        server = LocalSshd(tmp_path / f"sshd{n}_root", tmp_path / f"sshd{n}_state")
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def fresh_embedded(tmp_path: Path) -> Iterator[Callable[[], EmbeddedSftpServer]]:
    """A factory of dedicated embedded servers, stopped at the end of the test."""
    started: list[EmbeddedSftpServer] = []

    def make() -> EmbeddedSftpServer:
        n = len(started)
        server = EmbeddedSftpServer(tmp_path / f"emb{n}_root", tmp_path / f"emb{n}_state")
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture(params=[pytest.param("sshd", marks=pytest.mark.sshd), "embedded"])
def fresh_server(request: pytest.FixtureRequest) -> Callable[[], LocalSshd | EmbeddedSftpServer]:
    """A factory of dedicated servers of either kind (sshd or embedded)."""
    return request.getfixturevalue(f"fresh_{request.param}")


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSftpServer]:
    """The embedded paramiko SFTP server for the whole session."""
    server = EmbeddedSftpServer(
        tmp_path_factory.mktemp("embedded_root"), tmp_path_factory.mktemp("embedded_state")
    )
    with server:
        yield server


class RecordingSleep:
    """A stand-in for ``time.sleep``: records the delays, runs an optional action on a
    given call (e.g. deliver the .sha256, restart the server), never waits."""

    def __init__(self, actions: dict[int, Callable[[], None]] | None = None) -> None:
        self.calls: list[float] = []
        self._actions = actions or {}

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        action = self._actions.get(len(self.calls))
        if action is not None:
            action()


@dataclass
class Backend:
    """One way of serving a delivery folder, and a way to open a source on it."""

    kind: str  # "sshd", "embedded" or "local"
    #: the local folder that the source sees as its root (write deliveries here)
    root: Path
    _make: Callable[..., ExtractSource]

    def source(self, **kwargs) -> ExtractSource:
        return self._make(**kwargs)


def _test_folder(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:80]


@pytest.fixture(
    params=[
        pytest.param("sshd", marks=pytest.mark.sshd),
        "embedded",
        "local",
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh delivery folder served by a real sshd, the embedded server or a folder."""
    folder = _test_folder(request)
    opened: list[ExtractSource] = []

    if request.param == "local":
        root = tmp_path / "served"
        root.mkdir()

        def make(**kwargs) -> ExtractSource:
            return LocalSource(root, "dukcapil", **kwargs)

    else:
        server = request.getfixturevalue(request.param)
        root = server.root / folder
        root.mkdir(parents=True)

        def make(*, endpoint_overrides: dict | None = None, **kwargs) -> ExtractSource:
            endpoint = server.client_endpoint(folder, **(endpoint_overrides or {}))
            source = SftpSource(endpoint, "dukcapil", **kwargs)
            opened.append(source)
            return source

    yield Backend(request.param, root, make)
    for source in opened:
        source.close()


@pytest.fixture(params=[pytest.param("sshd", marks=pytest.mark.sshd), "embedded"])
def sftp_server(request: pytest.FixtureRequest):
    """The real sshd or the embedded server (session instances)."""
    return request.getfixturevalue(request.param)


# --------------------------------------------------------------------------------------
# writing deliveries (helpers handed to tests as fixtures: test modules cannot import
# this conftest under --import-mode=importlib)
# --------------------------------------------------------------------------------------


class Deliveries:
    """What a provider does on its side of the folder."""

    @staticmethod
    def deliver(
        root: Path,
        relative: str,
        data: bytes,
        *,
        checksum: bool = True,
        announced: str | None = None,
        binary_mode: bool = False,
    ) -> str:
        """Write a data file (and, unless ``checksum=False``, its ``.sha256``);
        ``announced`` overrides the digest written. Returns the true digest."""
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        if checksum:
            Deliveries.write_checksum(path, announced or digest, binary_mode=binary_mode)
        return digest

    @staticmethod
    def write_checksum(path: Path, digest: str, *, binary_mode: bool = False) -> None:
        """``<digest>  <name>`` beside ``path``, as ``sha256sum`` writes it."""
        marker = "*" if binary_mode else " "
        Path(f"{path}.sha256").write_text(f"{digest} {marker}{path.name}\n", encoding="ascii")

    @staticmethod
    def files_under(folder: Path) -> list[str]:
        """Relative paths of every file below ``folder`` (sorted)."""
        if not folder.exists():
            return []
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def deliveries() -> type[Deliveries]:
    return Deliveries


@pytest.fixture
def recording_sleep() -> type[RecordingSleep]:
    return RecordingSleep
