"""What publishing takes and gives back, and the rows the readers return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Self

import pandas as pd

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


@dataclass(frozen=True)
class PublishOutcome:
    """``PUBLISHED``: a new version was written; ``UNCHANGED``: the latest release of the
    period already has these inputs and rules (``release_id``/``version`` are that one's)."""

    status: Literal["PUBLISHED", "UNCHANGED"]
    release_id: int
    version: int
    period: str
    superseded_release_id: int | None


class PendingRelease(int):
    """The id of the release being published, passed to ``before_commit``.

    It *is* the ``release_id`` (an ``int``) and also carries ``period`` and ``version``,
    which the caller needs to name the outbox files (``registry_YYYYMM_vN.csv``) before
    the transaction commits.
    """

    period: str
    version: int

    def __new__(cls, release_id: int, period: str, version: int) -> Self:
        obj = super().__new__(cls, release_id)
        obj.period = period
        obj.version = version
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

