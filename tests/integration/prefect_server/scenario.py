"""What the tests of this folder run: the sample (size, periods, seed) and how long a run
may take."""

from __future__ import annotations

RESIDENTS = 4_000
PERIODS = ("2026-08", "2026-09")
SEED = 20260805
#: the period of the ``monthly_run`` fixture
FIRST_PERIOD = PERIODS[0]
#: the period of the concurrency test (after FIRST_PERIOD, as months are run in order)
SECOND_PERIOD = PERIODS[1]
#: seconds a monthly run may take: a cold run process imports pandas, Great Expectations
#: and Prefect on a busy two-core machine, and a run may wait for a concurrency slot
RUN_TIMEOUT = 240.0
#: seconds for the event trigger to create and run the re-verification (the brief: 60-90 s)
TRIGGER_TIMEOUT = 90.0
