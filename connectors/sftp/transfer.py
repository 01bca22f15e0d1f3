"""Moving bytes: :func:`_send_bytes` (a local file to a local or an SFTP file) and, over
paramiko, the pipelined reads of :func:`_read_ahead`, the channel sizes
:class:`~connectors.sftp.remote.SftpSource` asks for, and ``mkdir -p``
(:func:`_makedirs`)."""

from __future__ import annotations

import contextlib
import posixpath

import paramiko
import paramiko.sftp

from connectors.sftp.interface import CHUNK_BYTES


def _send_bytes(out, src) -> int:
    """Copy ``src`` from its position to ``out`` (a local file or an SFTP file opened
    for writing) in :data:`CHUNK_BYTES` blocks; returns the bytes sent."""
    sent = 0
    while chunk := src.read(CHUNK_BYTES):
        out.write(chunk)
        sent += len(chunk)
    return sent


#: the SSH channel's window and largest packet this client announces (OpenSSH sends
#: packets up to the announced size; its own limit is 256 KiB)
CHANNEL_WINDOW_BYTES = 16 << 20
CHANNEL_PACKET_BYTES = 256 << 10
#: the largest READ :func:`_read_ahead` asks for: OpenSSH's sftp-server answers up to
#: 255 KiB per READ (its 256 KiB message limit less room for the header); a server that
#: answers less tells the block size by its answer to the first request
READ_BLOCK_BYTES = 255 << 10
#: READ requests kept in flight by :func:`_read_ahead` (x 255 KiB: about 8 MB on the wire)
READ_AHEAD_REQUESTS = 32


class _Responses:
    """Where paramiko delivers the answers to :func:`_read_ahead`'s requests (it calls
    ``_async_response`` of the object a request was made for)."""

    def __init__(self, sftp: paramiko.SFTPClient) -> None:
        self.sftp = sftp
        self.data: dict[int, bytes | BaseException] = {}

    def _async_response(self, t: int, msg: paramiko.Message, num: int) -> None:
        if t == paramiko.sftp.CMD_DATA:
            self.data[num] = msg.get_string()
            return
        try:
            self.sftp._convert_status(msg)  # raises for every status but OK
            self.data[num] = paramiko.SFTPError("unexpected OK status to a READ request")
        except EOFError:
            self.data[num] = b""  # the file ended before this offset
        except Exception as exc:  # noqa: BLE001 - handed to the reader, which raises it
            self.data[num] = exc


def _read_ahead(sftp: paramiko.SFTPClient, fh: paramiko.SFTPFile, size: int):
    """The file's bytes, in order, with :data:`READ_AHEAD_REQUESTS` READ requests kept in
    flight from this thread.

    paramiko's own read-ahead (``SFTPFile.prefetch``, as in ``SFTPClient.get``) sends its
    requests from a second thread and marks itself done whenever every request sent *so
    far* has been answered; when that thread falls behind (the GIL is busy), every later
    read becomes one synchronous round trip: a 90 MB extract took 12-25 s instead of 1-2
    in about one run in three. Here requests are sent and answers consumed by one thread,
    in a sliding window, so that cannot happen. (Uses paramiko's request/response
    primitives ``_async_request``/``_read_response``, stable within the locked version.)

    The first request asks for :data:`READ_BLOCK_BYTES`; if the server answers with
    fewer bytes before the end of the file, that is its largest read, and the later
    requests ask for that much (never less than paramiko's 32 KiB, which every server
    serves): no request is then split by a server that caps its reads.
    """
    block = READ_BLOCK_BYTES
    responses = _Responses(sftp)
    pending: list[tuple[int, int, int]] = []  # (request number, offset, length), in order
    head = 0  # index of the oldest pending request
    sent = 0  # bytes requested so far

    def request(offset: int, length: int) -> None:
        num = sftp._async_request(
            responses, paramiko.sftp.CMD_READ, fh.handle, paramiko.sftp.int64(offset), int(length)
        )
        pending.append((num, offset, length))

    try:
        if size > 0:  # the probe: how much does the server give for one READ?
            request(0, min(block, size))
            sent = pending[0][2]
            while pending[0][0] not in responses.data:
                sftp._read_response()
            first = responses.data[pending[0][0]]  # consumed below, in order
            if isinstance(first, bytes) and 0 < len(first) < sent:
                block = max(len(first), fh.MAX_REQUEST_SIZE)
        while sent < size and len(pending) < READ_AHEAD_REQUESTS:
            length = min(block, size - sent)
            request(sent, length)
            sent += length
        while head < len(pending):
            num, offset, length = pending[head]
            head += 1
            while num not in responses.data:
                sftp._read_response()
            data = responses.data.pop(num)
            if isinstance(data, BaseException):
                raise data
            if not data:
                return  # end of file (it shrank): the caller's size check says so
            yield data
            if len(data) < length:  # a short read: ask for the rest, next in line
                request(offset + len(data), length - len(data))
                pending.insert(head, pending.pop())
            elif sent < size:
                length = min(block, size - sent)
                request(sent, length)
                sent += length
            if head > 4096:  # keep the list short on very large files
                del pending[:head]
                head = 0
    finally:
        # answers still on the way belong to nobody once this generator is closed
        for num, _, _ in pending[head:]:
            with contextlib.suppress(Exception):
                sftp._expecting.pop(num, None)


def _makedirs(sftp: paramiko.SFTPClient, remote_dir: str) -> None:
    """``mkdir -p`` over SFTP."""
    if remote_dir in ("", ".", "/"):
        return
    try:
        sftp.stat(remote_dir)
        return
    except FileNotFoundError:
        pass
    _makedirs(sftp, posixpath.dirname(remote_dir))
    try:
        sftp.mkdir(remote_dir)
    except OSError:
        # created meanwhile by someone else is fine; anything else shows up on put()
        sftp.stat(remote_dir)
