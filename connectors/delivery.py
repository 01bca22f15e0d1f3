"""Delivering a release's recorded files (the transactional outbox, ``docs/DESIGN.md``):
into the outbox, onto the outbound SFTP endpoint, and what a crash left behind.

The database records, in the publishing transaction, every file a release must deliver
(``release_file``: path, sha256, size, staging folder). These functions move the files
into place and mark them delivered, upload them and mark them uploaded, and remove the
staging folders nothing needs any more. Every step is idempotent and starts from the
record, not from what this process remembers: a run that was killed anywhere is finished
by calling them again (``tasks.deliver.complete_deliveries``).

Order of the steps for one file: staged -> (checksum, then data file) into the outbox ->
``delivered_at`` -> uploaded (checksum then data file renamed into place on the server,
after the data was read back and checked) -> ``uploaded_at``. A staging folder is
removed once no undelivered file needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from connectors import registry_db
from connectors.outbox import FileLost, Outbox, StagedOutbox
from connectors.registry_db import ReleaseFileRow
from core.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "DeliveryReport",
    "commit_staged",
    "place_pending",
    "sweep_staging",
    "upload_pending",
]


@dataclass
class DeliveryReport:
    """What completing the deliveries did (relative paths, per release ``YYYY-MM vN``)."""

    #: staged files moved into the outbox
    moved: list[str] = field(default_factory=list)
    #: files found in place (checksum restored where it was missing)
    present: list[str] = field(default_factory=list)
    #: files made again from the database
    rendered: list[str] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)
    #: releases whose worklists were written
    worklists: list[str] = field(default_factory=list)
    staging_removed: list[str] = field(default_factory=list)
    #: staging folders a live process holds (left to it)
    busy: list[str] = field(default_factory=list)
    #: files that could not be delivered: one message each (file and what to do)
    lost: list[str] = field(default_factory=list)
    #: releases that had something to complete
    releases: list[str] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        return bool(
            self.moved or self.present or self.rendered or self.uploaded or self.worklists
            or self.staging_removed
        )  # fmt: skip

    def touch(self, row: ReleaseFileRow) -> None:
        name = f"{row.period} v{row.version}"
        if name not in self.releases:
            self.releases.append(name)

    def line(self) -> str | None:
        """One line for the run summary and the log; ``None`` when nothing was pending."""
        parts = []
        for count, what in (
            (len(self.moved), "moved from staging into the outbox"),
            (len(self.present), "found in place"),
            (len(self.rendered), "made again from the database"),
            (len(self.uploaded), "uploaded"),
        ):
            if count:
                parts.append(f"{count} file{'s' if count != 1 else ''} {what}")
        if self.worklists:
            parts.append(f"worklists written for {', '.join(self.worklists)}")
        if self.staging_removed:
            n = len(self.staging_removed)
            parts.append(f"{n} staging folder{'s' if n != 1 else ''} removed")
        if self.busy:
            parts.append(f"{len(self.busy)} staging folder(s) left to the process writing them")
        if self.lost:
            parts.append(f"{len(self.lost)} file(s) NOT delivered (see `sigap status`)")
        if not parts:
            return None
        which = f" of {', '.join(self.releases)}" if self.releases else ""
        return f"deliveries completed{which}: " + "; ".join(parts)


def commit_staged(engine: Engine, staged: StagedOutbox, release_id: int) -> list[Path]:
    """Move a freshly published release's staged files into the outbox (checksum first)
    and record them delivered. Returns the committed paths (:meth:`StagedOutbox.commit`)."""
    committed = staged.commit()
    registry_db.mark_delivered(engine, release_id, [f.path for f in staged.manifest()])
    return committed


def place_pending(
    engine: Engine,
    outbox: Outbox,
    rows: Iterable[ReleaseFileRow],
    report: DeliveryReport,
    render_for: Callable[[ReleaseFileRow], Callable[[], bytes] | None] = lambda row: None,
) -> None:
    """Put every undelivered recorded file of ``rows`` into the outbox and mark it.

    A release whose staging folder a live process holds (it is delivering it right now)
    is left alone. A file that can be neither moved nor found nor made again
    (``render_for(row)``) is reported in ``report.lost`` and stays undelivered.
    """
    by_release: dict[int, list[ReleaseFileRow]] = {}
    for row in rows:
        if row.is_file and row.needs_delivery:
            by_release.setdefault(row.release_id, []).append(row)
    for release_id, files in by_release.items():
        busy = sorted({r.staging for r in files if r.staging and outbox.in_use(r.staging)})
        if busy:
            report.busy.extend(busy)
            continue
        placed = []
        for row in files:
            report.touch(row)
            try:
                how = outbox.place_recorded(
                    row.path, row.sha256, row.size, row.staging, render=render_for(row)  # type: ignore[arg-type]
                )
            except FileLost as exc:
                report.lost.append(f"{row.period} v{row.version}: {exc.args[0]}")
                log.error("release %s v%s: %s", row.period, row.version, exc)
                continue
            {"moved": report.moved, "present": report.present, "rendered": report.rendered}[how].append(row.path)
            placed.append(row.path)
        registry_db.mark_delivered(engine, release_id, placed)


def upload_pending(
    settings: Settings,
    engine: Engine,
    report: DeliveryReport,
    release_ids: Iterable[int] | None = None,
) -> None:
    """Upload every delivered file that is due for upload and not uploaded (of
    ``release_ids``, when given) to ``sources.outbound``, marking each as it arrives.

    Raises what the upload raises (:class:`~core.errors.SftpUnavailable` after the
    endpoint's retries...): the files not yet uploaded stay due, for the next attempt.
    """
    rows = [
        r for r in registry_db.pending_release_files(engine, release_ids)
        if r.needs_upload and not r.needs_delivery
    ]  # fmt: skip
    if not rows:
        return
    if settings.sources.outbound is None:
        log.warning(
            "%s file(s) are due for upload but no outbound endpoint is configured "
            "(sources.outbound): they stay due", len(rows),
        )  # fmt: skip
        return
    from connectors.sftp import open_source

    outbox = Outbox(settings.outbox)
    with open_source(settings, "outbound") as remote:
        for row in rows:
            report.touch(row)
            outbox.upload_file(row.path, row.sha256, remote)  # type: ignore[arg-type]
            registry_db.mark_uploaded(engine, row.release_id, [row.path])
            report.uploaded.append(row.path)


def sweep_staging(engine: Engine, outbox: Outbox, report: DeliveryReport) -> None:
    """Remove every staging folder that no undelivered recorded file needs: delivered
    releases' leftovers and the folders of publishes that were rolled back (no release
    recorded them). A folder a live process holds is left alone."""
    needed = {
        r.staging for r in registry_db.pending_release_files(engine)
        if r.is_file and r.needs_delivery and r.staging
    }  # fmt: skip
    for folder in outbox.remove_stale_staging(keep=needed):
        report.staging_removed.append(folder)
