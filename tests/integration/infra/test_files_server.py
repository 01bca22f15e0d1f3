"""The report server (``infra/files_server.py``) over a real data dir and outbox, asked over
HTTP: it serves the reports and the runs' Data Docs, and refuses everything that holds
personal data (registry CSV, BPJS mutations, worklists, downloads, baselines, rejects
files, the registry database), directory listings, and every way out of its roots."""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request

import pytest

from connectors import served_files
from core.settings import LinkSettings, Settings
from infra.files_server import FilesServer

RUN = "run-3f1c2a9e-1111-4222-8333-444455556666"
SERVED = {
    "outbox/laporan_202608_v1.html": "<html>laporan</html>",
    "outbox/laporan_202608_v1.md": "# Laporan",
    "outbox/laporan_202608_v1.md.sha256": "abc  laporan_202608_v1.md\n",
    f"runs/2026-08/{RUN}/data_docs/index.html": "<html>index</html>",
    f"runs/2026-08/{RUN}/data_docs/validations/dukcapil/extract/dukcapil 2026-08/20260905T020000Z/dukcapil-dukcapil.html": "<html>page</html>",
    f"runs/2026-08/{RUN}/data_docs/static/styles/data_docs_default_styles.css": "body {}",
    "runs/2026-08/laporan_gagal_202608.md": "# gagal",
}
REFUSED = {
    "outbox/registry_202608_v1.csv": "nik|nama\n3275010101900001|SITI AMINAH\n",
    "outbox/registry_202608_v1.csv.sha256": "abc  registry_202608_v1.csv\n",
    "outbox/mutasi_bpjstk_202608_v1.csv": "nik|nama\n",
    "outbox/verifikasi/3275011001/worklist_202608_v1.csv": "nik|nama\n",
    "outbox/.staging-202608_v1/laporan_202608_v1.html": "<html>staged</html>",
    "runs/2026-08/rejects/dukcapil_202608_rejects.csv": "line|nik\n",
    f"runs/2026-08/{RUN}/gx/uncommitted/validations/x.json": "{}",
    f"runs/2026-08/{RUN}/data_docs/rows.csv": "nik\n",
    "downloads/dukcapil/2026-08/DUKCAPIL_3275_202608.csv.gz": "gz",
    "baselines/dukcapil/2026-08/abc.parquet": "pq",
    "registry.sqlite": "db",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    data = root / "data"
    for relative, text in {**SERVED, **REFUSED}.items():
        path = data / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    outside = root / "secret.csv"
    outside.write_text("nik|nama\n")
    docs = data / "runs" / "2026-08" / RUN / "data_docs"
    # symbolic links inside the served folders that lead out of them
    os.symlink(data / "runs" / "2026-08" / "rejects" / "dukcapil_202608_rejects.csv", docs / "leak.html")
    os.symlink(outside, data / "outbox" / "laporan_202608_v9.html")
    settings = Settings(data_dir=data, links=LinkSettings(server_port=0))
    with FilesServer(settings) as running:
        yield running, settings


def _get(server, path: str, method: str = "GET") -> tuple[int, bytes, str]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request(method, path)  # sent as written: no client-side normalising
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        connection.close()


@pytest.mark.parametrize("relative", sorted(SERVED))
def test_reports_and_data_docs_are_served(server, relative):
    running, _ = server
    status, body, kind = _get(running, "/" + urllib.request.pathname2url(relative))
    assert (status, body.decode()) == (200, SERVED[relative])
    if relative.endswith(".html"):
        assert kind.startswith("text/html")


@pytest.mark.parametrize("relative", sorted(REFUSED))
def test_files_with_personal_data_are_refused(server, relative):
    running, _ = server
    status, body, _ = _get(running, "/" + urllib.request.pathname2url(relative))
    assert status == 404
    assert b"nik" not in body.lower()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/outbox/",
        "/runs/2026-08/",
        f"/runs/2026-08/{RUN}/data_docs/",
        "/outbox/../registry.sqlite",
        "/outbox/%2e%2e/registry.sqlite",
        "/outbox/..%2fregistry.sqlite",
        f"/runs/2026-08/{RUN}/data_docs/../../rejects/dukcapil_202608_rejects.csv",
        f"/runs/2026-08/{RUN}/data_docs/%2e%2e/%2e%2e/rejects/dukcapil_202608_rejects.csv",
        f"/runs/2026-08/{RUN}/data_docs/leak.html",
        "/outbox/laporan_202608_v9.html",
        "/outbox//laporan_202608_v1.html/../../registry.sqlite",
        "/downloads/dukcapil/2026-08/DUKCAPIL_3275_202608.csv.gz",
        "/etc/passwd",
        "//etc/passwd",
        "/outbox/laporan_202608_v1.html%00.csv",
    ],
)
def test_listings_and_ways_out_are_refused(server, path):
    running, _ = server
    status, body, _ = _get(running, path)
    assert status == 404, (path, body[:200])


def test_only_reads(server):
    running, _ = server
    for method in ("POST", "PUT", "DELETE"):
        status, _, _ = _get(running, "/outbox/laporan_202608_v1.html", method)
        assert status == 501
    status, body, _ = _get(running, "/outbox/laporan_202608_v1.html", "HEAD")
    assert (status, body) == (200, b"")


def test_links_are_made_for_served_files_only(server):
    running, settings = server
    settings = settings.model_copy(update={"links": LinkSettings(base_url=running.url)})
    data = settings.data_dir
    page = data / f"runs/2026-08/{RUN}/data_docs/validations/dukcapil/extract/dukcapil 2026-08/20260905T020000Z/dukcapil-dukcapil.html"
    url = served_files.url_for(settings, page)
    assert url == (
        f"{running.url}runs/2026-08/{RUN}/data_docs/validations/dukcapil/extract/"
        "dukcapil%202026-08/20260905T020000Z/dukcapil-dukcapil.html"
    )
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"<html>page</html>"
    assert served_files.url_for(settings, data / "outbox" / "registry_202608_v1.csv") is None
    assert served_files.url_for(settings, data / "runs/2026-08/rejects/dukcapil_202608_rejects.csv") is None
    # without a configured server: no link (the UI names the file instead)
    assert served_files.url_for(Settings(data_dir=data), data / "outbox" / "laporan_202608_v1.html") is None


def test_without_a_report_server_the_artifacts_name_the_file(tmp_path):
    from tasks.report import report_link
    from tasks.validate import ValidatedExtract, data_docs_artifact

    settings = Settings(data_dir=tmp_path / "data")
    html = tmp_path / "data" / "outbox" / "laporan_202608_v1.html"
    artifact = report_link(settings, "2026-08", 1, str(html))
    assert "no report server configured" in artifact.markdown and str(html) in artifact.markdown
    assert "file://" not in artifact.markdown and artifact.description
    docs = tmp_path / "data" / "runs" / "2026-08" / RUN / "data_docs" / "index.html"
    extract = ValidatedExtract(
        source="dukcapil", period="2026-08", file="x", sha256="0", rows_total=1, rows_accepted=1,
        rows_rejected=0, reject_share=0.0, passed=True, accepted_by_operator=False,
        failure_message=None, rejects_path="r", data_docs_path=str(docs), baseline_path="b",
    )  # fmt: skip
    artifact = data_docs_artifact(settings, extract)
    assert "no report server configured" in artifact.markdown and str(docs) in artifact.markdown


def test_a_busy_port_is_a_clean_error(server):
    running, settings = server
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match=f"{running.port}"):
        FilesServer(settings, port=running.port)


def test_no_such_server_refuses_connections_after_stop(tmp_path):
    settings = Settings(data_dir=tmp_path, links=LinkSettings(server_port=0))
    server = FilesServer(settings).start()
    url = server.url
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "outbox/x", timeout=2)
