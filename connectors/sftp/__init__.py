"""Where the monthly extracts come from: an SFTP server per source, or a local folder.

Both implementations of :class:`ExtractSource` apply the same delivery discipline
(``contracts/EXTRACTS.md``):

* every data file has a ``<file>.sha256`` beside it, in ``sha256sum`` format, written by the
  provider *after* the data file. A data file without its checksum file is still being
  written: it is never read (:class:`~core.errors.DeliveryIncomplete`, after an optional
  poll of ``checksum_wait_seconds``);
* the download goes to ``<dest>/<name>.part`` (``0640``, in folders created ``0750``,
  whatever the umask: the extracts are personal data) while its SHA-256 is computed, is compared
  with the ``.sha256`` (:class:`~core.errors.ChecksumMismatch`, the ``.part`` removed) and is
  renamed into place atomically only when it matches;
* a destination that already holds a file with the announced checksum is not downloaded
  again, so a re-run fetches only what changed. Downloads are not fsync'ed: a copy torn
  by a crash no longer matches its checksum and is simply fetched again.

:class:`SftpSource` logs in with a private key only and pins the server's host key from a
``known_hosts`` file (paramiko ``RejectPolicy``: an unknown or changed key is refused, never
added). Transient network failures are retried with exponential backoff and end in
:class:`~core.errors.SftpUnavailable`; authentication and host-key failures are
configuration errors and are not retried.

Logs name the host, the file, its size and the transfer rate; never credentials.

The modules: ``interface`` (:class:`ExtractSource`, :class:`FetchedFile`, the suffixes),
``checksums`` (``sha256sum`` files), ``discipline`` (the fetch and the checked upload
both sources share), ``local`` (:class:`LocalSource`), ``transfer`` (moving bytes; the
SFTP read-ahead), ``remote`` (:class:`SftpSource`), ``endpoints`` (:func:`open_source`).
This package exports their interface. A helper is looked up in the module that calls
it: patch it there (e.g. ``connectors.sftp.remote._send_bytes``), not here.
"""

from __future__ import annotations

from connectors.sftp.checksums import parse_sha256_line, sha256_file
from connectors.sftp.endpoints import open_source
from connectors.sftp.interface import (
    CHECKSUM_SUFFIX,
    CHUNK_BYTES,
    MAX_TEXT_BYTES,
    PART_SUFFIX,
    ExtractSource,
    FetchedFile,
)
from connectors.sftp.local import LocalSource
from connectors.sftp.remote import MAX_BACKOFF_SECONDS, SftpSource
from connectors.sftp.transfer import (
    CHANNEL_PACKET_BYTES,
    CHANNEL_WINDOW_BYTES,
    READ_AHEAD_REQUESTS,
    READ_BLOCK_BYTES,
    _send_bytes,
)

__all__ = [
    "CHANNEL_PACKET_BYTES",
    "CHANNEL_WINDOW_BYTES",
    "CHECKSUM_SUFFIX",
    "CHUNK_BYTES",
    "MAX_BACKOFF_SECONDS",
    "MAX_TEXT_BYTES",
    "PART_SUFFIX",
    "READ_AHEAD_REQUESTS",
    "READ_BLOCK_BYTES",
    "ExtractSource",
    "FetchedFile",
    "LocalSource",
    "SftpSource",
    # private, importable from here as before (patch it in connectors.sftp.remote or
    # connectors.sftp.local, where it is called)
    "_send_bytes",
    "open_source",
    "parse_sha256_line",
    "sha256_file",
]
