"""Choosing a source from the settings: :func:`open_source` (a local folder or an SFTP
endpoint; the three extract sources, ``verifikasi`` and ``outbound``)."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.sftp.interface import ExtractSource
from connectors.sftp.local import LocalSource
from connectors.sftp.remote import SftpSource
from core.errors import ConfigError
from domain.codes import Source

if TYPE_CHECKING:
    from core.settings import Settings, SftpEndpoint

#: endpoint names that are not extract sources but use the same interface
_OTHER_ENDPOINTS = ("verifikasi", "outbound")


def _endpoint_for(settings: Settings, name: str) -> SftpEndpoint:
    sources = settings.sources
    if name in {s.value for s in Source}:
        return getattr(sources, name)
    if name == "verifikasi":
        if sources.verifikasi is not None:
            return sources.verifikasi
        # default: beside Dukcapil's delivery folder, on Dukcapil's server
        dukcapil = sources.dukcapil
        parent = posixpath.dirname(posixpath.normpath(dukcapil.remote_root or "."))
        return dukcapil.model_copy(update={"remote_root": posixpath.join(parent, "verifikasi")})
    if name == "outbound":
        if sources.outbound is None:
            raise ConfigError("no outbound SFTP endpoint is configured (sources.outbound)")
        return sources.outbound
    raise ConfigError(
        f"unknown source {name!r}; expected one of "
        f"{', '.join([s.value for s in Source] + list(_OTHER_ENDPOINTS))}"
    )


def open_source(settings: Settings, source: Source | str) -> ExtractSource:
    """The :class:`ExtractSource` for ``source`` as the settings describe it.

    ``settings.sources.kind == "local"``: a :class:`LocalSource` on
    ``settings.sources.local_root / <source>``; ``"sftp"``: an :class:`SftpSource` on the
    source's endpoint. ``kind`` says where the extracts come from: a configured
    ``sources.outbound`` (where the outbox goes) is always its own SFTP endpoint. Besides the three extract sources, ``"verifikasi"`` (default:
    Dukcapil's server, folder ``verifikasi`` beside Dukcapil's) and ``"outbound"`` are
    accepted. The connection opens on first use; close it (or use ``with``).
    """
    name = source.value if isinstance(source, Source) else str(source).strip().lower()
    sources = settings.sources
    timing = {
        "checksum_wait_seconds": sources.checksum_wait_seconds,
        "checksum_poll_seconds": sources.checksum_poll_seconds,
    }
    if sources.kind == "local" and not (name == "outbound" and sources.outbound is not None):
        if name not in {s.value for s in Source} and name not in _OTHER_ENDPOINTS:
            _endpoint_for(settings, name)  # raises the ConfigError for an unknown name
        if sources.local_root is None:
            raise ConfigError("sources.kind is 'local' but sources.local_root is not set")
        return LocalSource(Path(sources.local_root) / name, name, **timing)
    return SftpSource(_endpoint_for(settings, name), name, **timing)
