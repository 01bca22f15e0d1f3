"""One hierarchy of errors, handled in one place (the CLI and the flows).

* ``TransientError``: the network or a locked database; tasks retry these with backoff.
* ``DataError``: the data itself is wrong (checksum, format, failed expectations); never
  retried; the message names the file, and where it applies the row, column and rule.
* ``InvalidInput``: a value given to the software (a period, a number, an option) is not
  acceptable; a ``ValueError`` too.
* ``ConfigError``: the settings or the credentials are wrong; never retried.

Messages never carry a full NIK or name (use ``domain.privacy``).
"""

from __future__ import annotations


class SigapError(Exception):
    """Base of every error the software raises on purpose."""

    #: what an operator should do next (shown by the CLI and in the run's final state)
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:  # message plus the hint, once
        base = super().__str__()
        return f"{base} -- {self.hint}" if self.hint else base


class InvalidInput(SigapError, ValueError):
    """A value the software was given is not acceptable: a period, a number, an option, a
    row the rules cannot read. Raised by the domain as well as by the layers above; still a
    ``ValueError`` for code that expects one. The CLI shows it as a clean error; any other
    ``ValueError`` is a bug and keeps its traceback."""


class TransientError(SigapError):
    """Worth retrying: network trouble, a busy database."""

    hint = "this is usually temporary; the task is retried, or re-run the period later"


class SftpUnavailable(TransientError):
    pass


class DatabaseBusy(TransientError):
    pass


class RegistryMoved(TransientError):
    """The registry changed under a run while it was publishing (another version of the
    period was published meanwhile): retrying re-reads it."""


class ConfigError(SigapError):
    hint = "check the settings (sigap settings show) and the credentials"


class AuthenticationFailed(ConfigError):
    pass


class UnknownHostKey(ConfigError):
    hint = (
        "the server's host key is not in the pinned known_hosts file; verify the key "
        "fingerprint with the provider and add it (never auto-accept)"
    )


class DataError(SigapError):
    """The delivered data is wrong; re-running will not help until the provider resends."""

    hint = "ask the provider to resend the file, then re-run the period"

    def __init__(self, message: str, *, file: str | None = None, hint: str | None = None):
        self.file = file
        super().__init__(f"{file}: {message}" if file else message, hint=hint)


class DeliveryIncomplete(DataError):
    hint = "the provider has not finished the delivery; re-run once the .sha256 file is there"


class RemoteFileMissing(DeliveryIncomplete):
    pass


class ChecksumMismatch(DataError):
    pass


class FileFormatError(DataError):
    """Not gzip, truncated, too large, not UTF-8, wrong separator, missing columns, empty."""


class DeliveriesIncomplete(DeliveryIncomplete):
    """One or more extracts of a period are not (completely) delivered: every missing
    source is named. ``deadline_passed``: a scheduled run waited for them until the
    deadline."""

    def __init__(
        self,
        message: str,
        *,
        sources: tuple[str, ...] = (),
        deadline_passed: bool = False,
        hint: str | None = None,
    ) -> None:
        self.sources = tuple(sources)
        self.deadline_passed = deadline_passed
        super().__init__(message, hint=hint)


class ValidationFailed(DataError):
    """An extract failed its extract-level rules (reject share, row count drift).

    ``sources``: the extracts that failed. The message states the facts; what to do next
    (send the rejects file to the provider; or accept the delivery) is the ``hint``, which
    depends on where it is read: the run's state in the Prefect UI (the deployment's
    ``accept_flagged`` parameter) or the command line (``--accept-flagged``)."""

    hint = "read the rejects file and the validation table, and ask the provider to resend"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sources: tuple[str, ...] = (),
        hint: str | None = None,
    ) -> None:
        self.sources = tuple(sources)
        super().__init__(message, file=file, hint=hint)


class PeriodOutOfOrder(DataError):
    """A period cannot be reconciled yet: the period before it has no current release, or
    that release is stale, or the period comes before the registry's first period. The
    message names what is missing; the hint names the command to run."""

    hint = "reconcile the periods in order (sigap backfill --from YYYY-MM --to YYYY-MM)"


class RegistryDatabaseError(SigapError):
    """The database refused an operation for a reason that is not transient: a constraint
    or a type on write, a missing table on read (the database is not migrated).

    Re-running will not help. The message names the table, the constraint or column and
    the SQLSTATE, never a row's values. A refused publish wrote nothing.
    """

    hint = (
        "check that the registry is migrated to the latest revision; otherwise this is a "
        "defect in the run's data or code: report it"
    )


class PublishConflict(SigapError):
    """Another run is publishing the same period right now, or the release this period was
    computed on is no longer its base."""

    hint = "wait for the other run to finish, then re-run if needed"


class SequenceStopped(SigapError):
    """A run of several periods in order (``sigap backfill``, ``--cascade``) stopped at the
    first period that failed; the message says what was done and what was not run."""
