"""The report server: a small read-only web server for the links of the Prefect UI.

Browsers do not open ``file://`` links from a page served over HTTP, so the UI's links to
the report and to the Data Docs lead here (``links.base_url``). It serves, read-only, what
``connectors.served_files`` allows: the outbox's reports (``/outbox/laporan_...``) and each
run's Data Docs (``/runs/YYYY-MM/run-<id>/data_docs/...``); nothing with personal data (the
registry CSV, the BPJS mutations, worklists, downloads, baselines, rejects files), no
directory listings, nothing outside those roots. GET and HEAD only. Anything else is 404.

Started by ``sigap serve`` and ``infra/server.sh`` (``links.serve_files``), or alone with
``sigap files-serve``; it listens on ``links.server_host``:``links.server_port``
(127.0.0.1:8765 by default).
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit

from connectors import served_files
from core.errors import ConfigError
from core.settings import Settings

__all__ = ["FilesServer"]

log = logging.getLogger(__name__)

_TYPES = {".md": "text/markdown; charset=utf-8", ".sha256": "text/plain; charset=utf-8"}


def _handler(settings: Settings) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "sigap-files"
        sys_version = ""

        def do_GET(self) -> None:
            self._send(body=True)

        def do_HEAD(self) -> None:
            self._send(body=False)

        def _send(self, *, body: bool) -> None:
            path = served_files.resolve(settings, unquote(urlsplit(self.path).path))
            if path is None:
                self.send_error(HTTPStatus.NOT_FOUND, "not served here")
                return
            try:
                data = path.read_bytes()
            except OSError:
                self.send_error(HTTPStatus.NOT_FOUND, "not served here")
                return
            suffix = path.suffix.lower()
            kind = (
                _TYPES.get(suffix)
                or mimetypes.guess_type(path.name)[0]
                or "application/octet-stream"
            )
            if kind.startswith("text/") and "charset" not in kind:
                kind += "; charset=utf-8"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, format: str, *args) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return Handler


class FilesServer:
    """The report server in a background thread (a context manager), or in the
    foreground with :meth:`serve_forever`."""

    def __init__(
        self, settings: Settings, host: str | None = None, port: int | None = None
    ) -> None:
        self.settings = settings
        host = host if host is not None else settings.links.server_host
        port = port if port is not None else settings.links.server_port
        try:
            self._httpd = ThreadingHTTPServer((host, port), _handler(settings))
        except OSError as exc:
            raise ConfigError(
                f"the report server cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="choose another links.server_port, or stop what listens there",
            ) from None
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="sigap-files-server", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
