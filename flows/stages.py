"""What the monthly flow's stages hand each other: small values, passed explicitly (no
module state carries a run's data).

Kept apart from ``flows/monthly.py``: a deployment loads that file by path as a module
named ``monthly``, where dataclasses declared in it could not resolve their annotations.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

import pandas as pd

from connectors import registry_db
from connectors.delivery import DeliveryReport
from connectors.sftp import FetchedFile
from core.settings import Settings
from domain.cases import CasePlan
from domain.codes import Source
from domain.money import MoneyView
from domain.periods import Period
from domain.reconcile import Reconciliation
from domain.rules import RuleParameters
from tasks.progress import StageProgress
from tasks.registry import PreviousState
from tasks.validate import AcceptedRows, ValidatedExtract
from tasks.verification import VerificationInput

#: the stages of a monthly run, in order (the progress artifact's steps)
STAGES = ("download", "validate", "reconcile", "changes", "publish", "report")


@dataclass
class MonthlyRun:
    """What every stage of one run needs: the settings, the period and the operator's
    choices, the release the period is built on, the rules, the progress, and the
    handle on the accepted rows."""

    settings: Settings
    period: Period
    config: str | None
    force: bool
    #: the sources whose failed delivery an operator accepted for this run
    accepted: list[str]
    #: the previous period's current release (``None``: the registry's first period)
    base: registry_db.ReleaseRow | None
    params: RuleParameters
    progress: StageProgress
    rows: AcceptedRows
    #: what this run completed of earlier runs' deliveries
    repaired: DeliveryReport


@dataclass
class Downloads:
    """Stage 1: the first extract fetched (the others still downloading), the results
    file of the kelurahan, and what the registry says about the base release."""

    fetched: dict[Source, FetchedFile]
    #: the other extracts' downloads, finished during validation
    pending: dict[Source, Future]
    verification_file: FetchedFile | None
    previous: PreviousState
    #: answers recorded for the period by ``sigap verify-results``
    recorded: pd.DataFrame | None


@dataclass
class Reconciled:
    """Stages 3 and 4: the decisions, the money view, the changes and the case plan
    (none of the extracts' rows: they are let go before publishing)."""

    validations: list[ValidatedExtract]
    #: sha256 of every input of the release, per source
    digests: dict[str, str]
    result: Reconciliation
    money: MoneyView
    changes: pd.DataFrame
    plan: CasePlan
    verification: VerificationInput
