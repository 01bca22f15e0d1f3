"""The rule book's parameters as one immutable value, and the rules version.

``RULES_VERSION`` changes whenever a rule's logic changes; together with the parameters'
digest it is recorded on every release (``registry_release.rules_version``), so that the
same inputs with the same rules publish nothing new.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

#: bump on any change of rule logic in ``domain``
RULES_LOGIC_VERSION = "2026.11.2"


@dataclass(frozen=True)
class RuleParameters:
    max_desil: int = 5
    min_age: int = 15
    max_age: int = 65
    quota: int = 51_666
    annual_budget_idr: int | None = None
    monthly_contribution_idr: int = 16_800
    typo_name_similarity: float = 0.90
    mismatch_name_similarity: float = 0.85
    max_nik_edits: int = 2
    escalate_after_periods: int = 2

    @property
    def rules_version(self) -> str:
        """``2026.11.2+<8 hex of the parameters>``: logic version plus parameter digest."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return f"{RULES_LOGIC_VERSION}+{hashlib.sha256(blob).hexdigest()[:8]}"


def rule_parameters(settings) -> RuleParameters:
    """The rule parameters of the settings (``core.settings.Settings``; its ``rules`` table)."""
    return RuleParameters(**settings.rules.model_dump())
