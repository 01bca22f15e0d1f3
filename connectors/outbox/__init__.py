"""The outbox: the files that leave the system for every release (``contracts/REGISTRY.md``).

Files are first written into a *staging* folder inside the outbox root
(``.staging/<tag>.<random>``, same file system, so that moving them is a rename), each
atomically (temporary file, ``fsync``, rename) and each with a ``<file>.sha256`` beside it
in ``sha256sum`` format; the sha256 and size are computed while writing
(:meth:`StagedOutbox.manifest`). The monthly flow stages the files while the registry
transaction loads the rows (``publish_release(while_loading=...)``), records them in the
same transaction (``release_file``) and commits the staging folder only after the
database committed; a failed publish discards it.

No file is ever visible without its ``.sha256``: committing moves every checksum file into
the root first, syncs the folders, then moves the data files and syncs again (a repair
does the same file by file). A reader that sees a ``.sha256`` without its data file, or a
data file that does not (yet) match it, tries again later; it never sees a data file
alone or half-written.

A crash between the database commit and the end of the commit leaves files in the
staging folder: :meth:`Outbox.place_recorded` finishes the job from the database's record
(idempotent), :meth:`Outbox.remove_staging` removes what is delivered or was never
published. A staging folder is locked (``flock``) by the process writing it, so that
another process never removes or moves files a live publisher is still working on.

Files are created ``0640`` and folders ``0750`` whatever the umask (``connectors.files``):
owner and group only, the registry carries personal data.

Every CSV the outbox writes (:func:`render_csv`) is opened in a spreadsheet somewhere (the
worklists at the kelurahan, the mutations at BPJS): a text cell that starts with ``=``,
``+``, ``-``, ``@``, TAB or CR gets a ``'`` in front, so that the spreadsheet shows it as
text instead of running it as a formula (OWASP, CSV injection). Numbers are never
touched (``-3`` in an integer column stays a number); NIKs and KPJs are digits.

Names of the contract's files: :func:`registry_csv_name`, :func:`mutasi_csv_name`,
:func:`worklist_path`, :func:`report_name`.

The modules: ``names`` (the contract's file names, path checks, kinds), ``fileops``
(digests, the rename into place, folder syncs, locks), ``csv_render``
(:func:`render_csv`), ``staging`` (:class:`StagedOutbox`), ``folder``
(:class:`Outbox`). This package exports their interface. A helper is looked up in
the module that calls it: patch it there (e.g.
``connectors.outbox.staging._move_into_place`` for :meth:`StagedOutbox.commit`), not here.
"""

from __future__ import annotations

from connectors.files import DIR_MODE, FILE_MODE
from connectors.outbox.csv_render import (
    CSV_SEPARATOR,
    FORMULA_GUARD,
    FORMULA_START,
    render_csv,
)
from connectors.outbox.fileops import _move_into_place, checksum_line, file_sha256
from connectors.outbox.folder import FileLost, Outbox, UploadTarget
from connectors.outbox.names import (
    CHECKSUM_SUFFIX,
    STAGING_DIR,
    kind_of,
    mutasi_csv_name,
    registry_csv_name,
    release_tag,
    report_name,
    worklist_path,
)
from connectors.outbox.staging import StagedFile, StagedOutbox

__all__ = [
    "CHECKSUM_SUFFIX",
    "CSV_SEPARATOR",
    "DIR_MODE",
    "FILE_MODE",
    "FORMULA_GUARD",
    "FORMULA_START",
    "STAGING_DIR",
    "FileLost",
    "Outbox",
    "StagedFile",
    "StagedOutbox",
    "UploadTarget",
    # private, importable from here as before (patch it in connectors.outbox.staging or
    # connectors.outbox.folder, where it is called)
    "_move_into_place",
    "checksum_line",
    "file_sha256",
    "kind_of",
    "mutasi_csv_name",
    "registry_csv_name",
    "release_tag",
    "render_csv",
    "report_name",
    "worklist_path",
]
