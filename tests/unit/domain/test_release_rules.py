"""Rules that used to live in tasks (issue 17): when the kelurahan worklists are due, how
JKM claim alerts are counted, and the policy on a failed delivery."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.codes import DeliveryStatus
from domain.release_files import jkm_claim_alerts
from domain.worklist import reverification_triggers, worklists_due


def _changes(*triggers: bool) -> pd.DataFrame:
    return pd.DataFrame({"nik": ["1"] * len(triggers), "triggers_reverification": list(triggers)})


def test_worklists_are_due_for_cases_or_triggering_changes():
    assert not worklists_due(0, 0, reverification_triggers(_changes()))
    assert not worklists_due(0, 0, reverification_triggers(_changes(False, False)))
    assert worklists_due(0, 0, reverification_triggers(_changes(False, True)))
    assert worklists_due(1, 0, 0) and worklists_due(0, 1, 0)
    assert reverification_triggers(_changes(True, False, True)) == 2


def test_jkm_claim_alerts_are_counted_from_their_column_not_the_reason_text():
    entries = pd.DataFrame(
        {"reasons": ["JKM_CLAIM_ALERT", "DECEASED", ""], "jkm_claim_alert": [True, True, False]}
    )
    assert jkm_claim_alerts(entries) == 2
    assert jkm_claim_alerts(entries.iloc[:0]) == 0


@pytest.mark.parametrize(
    ("passed", "accepted", "status", "usable"),
    [
        (True, False, DeliveryStatus.ACCEPTED, True),
        (True, True, DeliveryStatus.ACCEPTED, True),
        (False, True, DeliveryStatus.ACCEPTED_BY_OPERATOR, True),
        (False, False, DeliveryStatus.FAILED, False),
    ],
)
def test_a_failed_delivery_is_used_only_when_an_operator_accepted_it(passed, accepted, status, usable):
    assert DeliveryStatus.of(passed, accepted) is status
    assert status.usable is usable


def test_the_schema_s_status_lists_come_from_the_enums():
    from connectors.registry_db import schema

    assert schema.DELIVERY_STATUSES == ("ACCEPTED", "FAILED", "ACCEPTED_BY_OPERATOR")
    assert schema.ACCEPTED_DELIVERY_STATUSES == ("ACCEPTED", "ACCEPTED_BY_OPERATOR")
    assert schema.RELEASE_STATUSES == ("PUBLISHED", "SUPERSEDED")
