"""The program's code lists: sources, decisions, reasons, match methods, change types.

The values are the public interface of the registry (``registry_entry.decision``,
``registry_entry.reasons``, ``population_change.change_type``...): never rename them.
"""

from __future__ import annotations

from enum import StrEnum


class Source(StrEnum):
    """The three monthly extracts (and their folder names on the SFTP servers)."""

    DUKCAPIL = "dukcapil"
    DTSEN = "dtsen"
    BPJSTK = "bpjstk"


class ReleaseStatus(StrEnum):
    """``registry_release.status``: a period's current release, and its earlier versions."""

    PUBLISHED = "PUBLISHED"
    SUPERSEDED = "SUPERSEDED"


class PublishStatus(StrEnum):
    """What a run's publishing did: a new version, or nothing (same inputs, rules and base
    release as the period's current release)."""

    PUBLISHED = "PUBLISHED"
    UNCHANGED = "UNCHANGED"


class DeliveryStatus(StrEnum):
    """``delivery.status``: what validation made of a provider's extract, and the policy
    on a failed one: it is used only when an operator has checked and accepted it
    (``accept_flagged``); otherwise nothing of the period is published."""

    ACCEPTED = "ACCEPTED"
    FAILED = "FAILED"
    ACCEPTED_BY_OPERATOR = "ACCEPTED_BY_OPERATOR"

    @classmethod
    def of(cls, passed: bool, accepted_by_operator: bool) -> DeliveryStatus:
        if passed:
            return cls.ACCEPTED
        return cls.ACCEPTED_BY_OPERATOR if accepted_by_operator else cls.FAILED

    @property
    def usable(self) -> bool:
        """Whether the period may be reconciled and published with this extract (and
        its accepted rows become the next period's baseline)."""
        return self is not DeliveryStatus.FAILED


class Decision(StrEnum):
    KEEP = "KEEP"
    REVERIFY = "REVERIFY"
    TERMINATE = "TERMINATE"
    ENROLL = "ENROLL"
    WAITLIST = "WAITLIST"


class Reason(StrEnum):
    DECEASED = "DECEASED"
    MOVED_OUT = "MOVED_OUT"
    AGE_ABOVE_LIMIT = "AGE_ABOVE_LIMIT"
    DUPLICATE_ENROLLMENT = "DUPLICATE_ENROLLMENT"
    TERMINATION_PENDING = "TERMINATION_PENDING"
    NIK_NOT_FOUND = "NIK_NOT_FOUND"
    NIK_PROBABLE_TYPO = "NIK_PROBABLE_TYPO"
    IDENTITY_MISMATCH = "IDENTITY_MISMATCH"
    NOT_IN_DTSEN = "NOT_IN_DTSEN"
    DESIL_ABOVE_LIMIT = "DESIL_ABOVE_LIMIT"
    FORMAL_OCCUPATION = "FORMAL_OCCUPATION"
    DOUBLE_FUNDED = "DOUBLE_FUNDED"
    REPORTED_DECEASED = "REPORTED_DECEASED"
    JKM_CLAIM_ALERT = "JKM_CLAIM_ALERT"
    # outcomes of re-verification cases coming back from the kelurahan (issue 5)
    VERIFIED_ELIGIBLE = "VERIFIED_ELIGIBLE"
    VERIFIED_INELIGIBLE = "VERIFIED_INELIGIBLE"
    NIK_CORRECTED = "NIK_CORRECTED"


#: The decision each reason leads to; ``None`` for flags that do not decide anything.
REASON_DECISION: dict[Reason, Decision | None] = {
    Reason.DECEASED: Decision.TERMINATE,
    Reason.MOVED_OUT: Decision.TERMINATE,
    Reason.AGE_ABOVE_LIMIT: Decision.TERMINATE,
    Reason.DUPLICATE_ENROLLMENT: Decision.TERMINATE,
    Reason.TERMINATION_PENDING: Decision.TERMINATE,
    Reason.VERIFIED_INELIGIBLE: Decision.TERMINATE,
    Reason.NIK_NOT_FOUND: Decision.REVERIFY,
    Reason.NIK_PROBABLE_TYPO: Decision.REVERIFY,
    Reason.IDENTITY_MISMATCH: Decision.REVERIFY,
    Reason.NOT_IN_DTSEN: Decision.REVERIFY,
    Reason.DESIL_ABOVE_LIMIT: Decision.REVERIFY,
    Reason.FORMAL_OCCUPATION: Decision.REVERIFY,
    Reason.DOUBLE_FUNDED: Decision.REVERIFY,
    Reason.REPORTED_DECEASED: Decision.REVERIFY,
    Reason.JKM_CLAIM_ALERT: None,
    Reason.VERIFIED_ELIGIBLE: Decision.KEEP,
    Reason.NIK_CORRECTED: Decision.KEEP,
}

#: Participant decisions, most severe first.
SEVERITY: tuple[Decision, ...] = (Decision.TERMINATE, Decision.REVERIFY, Decision.KEEP)


class MatchMethod(StrEnum):
    NIK_EXACT = "NIK_EXACT"
    NIK_PROBABLE_TYPO = "NIK_PROBABLE_TYPO"
    #: the participant's NIK was corrected by a re-verification result (``NIK_DIKOREKSI``)
    NIK_CORRECTED = "NIK_CORRECTED"
    NONE = "NONE"


class ChangeType(StrEnum):
    DIED = "DIED"
    MOVED_OUT = "MOVED_OUT"
    MOVED_WITHIN_CITY = "MOVED_WITHIN_CITY"
    KK_CHANGED = "KK_CHANGED"
    NAME_CHANGED = "NAME_CHANGED"
    BIRTH_DATE_CHANGED = "BIRTH_DATE_CHANGED"
    DESIL_CHANGED = "DESIL_CHANGED"
    OCCUPATION_CHANGED = "OCCUPATION_CHANGED"
    DISAPPEARED = "DISAPPEARED"


class CaseStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED_ELIGIBLE = "RESOLVED_ELIGIBLE"
    RESOLVED_INELIGIBLE = "RESOLVED_INELIGIBLE"
    RESOLVED_NIK_CORRECTED = "RESOLVED_NIK_CORRECTED"


class OutboxFile(StrEnum):
    """Kinds of the files a release delivers (``release_file.kind``).

    The list is open: a kind is recorded as text, and a file written without one is given
    the name part before its ``_YYYYMM_vN`` suffix (``statistik_202610_v1.csv`` ->
    ``statistik``). ``WORKLISTS`` is not a file but the release's "the kelurahan worklists
    are due" marker: done once the re-verification step has recorded its worklists.
    """

    REGISTRY = "registry"
    MUTASI = "mutasi"
    REPORT_MD = "report_md"
    REPORT_HTML = "report_html"
    WORKLIST = "worklist"
    WORKLISTS = "worklists"


class VerificationResult(StrEnum):
    """``HASIL`` in the re-verification results file."""

    LAYAK = "LAYAK"
    TIDAK_LAYAK = "TIDAK_LAYAK"
    NIK_DIKOREKSI = "NIK_DIKOREKSI"


#: Kemendagri code of Kota Bekasi (not Kabupaten Bekasi, 32.16).
CITY_PROP = 32
CITY_KAB = 75
CITY_CODE = "32.75"
