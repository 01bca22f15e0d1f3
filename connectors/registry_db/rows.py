"""What publishing takes and gives back, and the rows the readers return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

import pandas as pd

from domain.codes import PublishStatus
from domain.history import ReleaseRef

# the entry columns a publish request must carry and the dtypes of release_entries are
# the domain's, defined once


@dataclass(frozen=True, eq=False)
class CasePlanRows:
    """The re-verification case plan as rows to persist (computed by ``domain.cases``).

    ``opened``: ``case_id, nik, kpj, kode_kelurahan, triggers, evidence`` (new OPEN cases);
    ``seen``: ``case_id, triggers, kode_kelurahan, periods_open, escalated`` (open cases
    still open); ``resolved``: ``case_id, status, resolved_at, resolution_note,
    resolved_by, nik_baru``. Any frame may be empty (even without columns).
    """

    opened: pd.DataFrame = field(default_factory=pd.DataFrame)
    seen: pd.DataFrame = field(default_factory=pd.DataFrame)
    resolved: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def of(cls, plan: Any) -> CasePlanRows:
        """From any object with ``opened``/``seen``/``resolved`` frames (``domain.cases``)."""
        return cls(
            opened=getattr(plan, "opened", pd.DataFrame()),
            seen=getattr(plan, "seen", pd.DataFrame()),
            resolved=getattr(plan, "resolved", pd.DataFrame()),
        )


@dataclass(frozen=True, eq=False)
class PublishRequest:
    """Everything one release consists of.

    ``input_digests``: sha256 of the accepted extracts, keys ``dukcapil``, ``dtsen``,
    ``bpjstk`` and optionally ``verifikasi``. ``entries`` carries :data:`ENTRY_COLUMNS`
    (extra columns are ignored); ``changes`` :data:`CHANGE_COLUMNS`. ``deliveries`` are
    rows for ``extract_delivery`` (keys of :data:`DELIVERY_COLUMNS`; ``period`` defaults
    to the request's, ``checked_at`` to now) recorded against the new release. ``force``
    publishes a new version even when inputs, rules and accepted flags are unchanged.
    """

    period: str
    rules_version: str
    input_digests: dict[str, str]
    flow_run_id: str | None
    counts: dict[str, int]
    monthly_cost_idr: int
    quota: int
    entries: pd.DataFrame
    changes: pd.DataFrame
    case_plan: CasePlanRows | None = None
    accepted_flags: tuple[str, ...] = ()
    validation: dict = field(default_factory=dict)
    quota_summary: dict = field(default_factory=dict)
    deliveries: list[dict] = field(default_factory=list)
    force: bool = False
    #: the money view's summary (``domain.money.MoneyView.summary()``), stored as JSON
    money_summary: dict = field(default_factory=dict)
    #: the previous period's release this one is built on (its terminations, baseline and
    #: case state); ``None`` for the registry's first period. Publishing checks that it is
    #: still the previous period's current, non-stale release, and builds the new case
    #: state on its state (``case_plan`` is relative to it).
    based_on_release_id: int | None = None


@dataclass(frozen=True)
class PublishOutcome:
    """``PUBLISHED``: a new version was written; ``UNCHANGED``: the latest release of the
    period already has these inputs and rules (``release_id``/``version`` are that one's)."""

    status: PublishStatus
    release_id: int
    version: int
    period: str
    superseded_release_id: int | None
    #: what the release is built on
    based_on_release_id: int | None = None
    #: the later releases this publication made stale (``domain.history.StaleMark``)
    stale: tuple = ()


class PendingRelease(int):
    """The id of the release being published, passed to ``before_commit``.

    It *is* the ``release_id`` (an ``int``) and also carries ``period`` and ``version``,
    which the caller needs to name the outbox files (``registry_YYYYMM_vN.csv``) before
    the transaction commits.
    """

    period: str
    version: int
    #: the release it supersedes (``None`` for a period's first version)
    replaces: int | None
    #: the later releases it makes stale (``domain.history.StaleMark``), known before the
    #: rows are loaded, so that the report can name them
    stale: tuple

    def __new__(
        cls,
        release_id: int,
        period: str,
        version: int,
        replaces: int | None = None,
        stale: tuple = (),
    ) -> Self:
        obj = super().__new__(cls, release_id)
        obj.period = period
        obj.version = version
        obj.replaces = replaces
        obj.stale = tuple(stale)
        return obj


@dataclass(frozen=True)
class ReleaseRow:
    """One ``registry_release`` row, JSON columns decoded, ``published_at`` in UTC."""

    release_id: int
    period: str
    version: int
    status: str
    published_at: datetime
    rules_version: str
    input_digests: dict[str, str]
    flow_run_id: str | None
    counts: dict[str, int]
    monthly_cost_idr: int
    quota: int
    accepted_flags: tuple[str, ...]
    validation: dict
    quota_summary: dict
    #: the money view's summary (empty for releases published before revision 0005)
    money_summary: dict = field(default_factory=dict)
    based_on_release_id: int | None = None
    stale_since: datetime | None = None
    stale_because: str | None = None

    @property
    def stale(self) -> bool:
        return self.stale_since is not None

    def ref(self) -> ReleaseRef:
        """The ``domain.history.ReleaseRef`` of this release."""
        return ReleaseRef(
            self.release_id, self.period, self.version, self.based_on_release_id, self.stale
        )


@dataclass(frozen=True)
class DeliveryRow:
    """One ``extract_delivery`` row."""

    delivery_id: int
    period: str
    source: str
    file_name: str
    sha256: str | None
    rows_total: int | None
    rows_accepted: int | None
    rows_rejected: int | None
    status: str
    checked_at: datetime
    release_id: int | None
    detail: str | None



@dataclass(frozen=True)
class ReleaseFile:
    """A file a release must deliver, as publishing records it (``release_file``).

    ``path``: relative to the outbox root (``registry_202610_v2.csv``,
    ``verifikasi/32.75.01.1001/worklist_202610_v2.csv``); ``kind``: open text
    (``domain.codes.OutboxFile``); ``sha256``/``size``: of the data file (``None`` for a
    marker such as "worklists due"); ``staging``: the staging folder that holds it until
    it is moved into place, relative to the outbox root; ``upload_due``: it must also
    reach the outbound SFTP endpoint.
    """

    path: str
    kind: str
    sha256: str | None = None
    size: int | None = None
    staging: str | None = None
    upload_due: bool = False


@dataclass(frozen=True)
class ReleaseFileRow:
    """One ``release_file`` row with its release's period, version and status."""

    file_id: int
    release_id: int
    period: str
    version: int
    release_status: str
    path: str
    kind: str
    sha256: str | None
    size: int | None
    staging: str | None
    upload_due: bool
    recorded_at: datetime
    delivered_at: datetime | None
    uploaded_at: datetime | None

    @property
    def is_file(self) -> bool:
        """A data file (not a marker such as "worklists due")."""
        return self.sha256 is not None

    @property
    def needs_delivery(self) -> bool:
        return self.delivered_at is None

    @property
    def needs_upload(self) -> bool:
        return self.is_file and self.upload_due and self.uploaded_at is None


@dataclass(frozen=True)
class PeriodDelivery:
    """A period's current (PUBLISHED) release and the state of its files, for ``sigap
    status``. Counts are of data files; ``worklists_due``: the worklists are not written
    yet."""

    period: str
    release_id: int
    version: int
    status: str
    published_at: datetime
    files: int
    undelivered: int
    not_uploaded: int
    worklists_due: bool

    @property
    def pending(self) -> bool:
        return bool(self.undelivered or self.not_uploaded or self.worklists_due)
