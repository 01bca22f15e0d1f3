"""Which failures a task retries: transient ones only (network, a busy database).

Data errors (bad checksum, failed expectations) and configuration errors are final:
retrying cannot fix them, and the run must fail with their message.
"""

from __future__ import annotations

from core.errors import TransientError


def is_transient(task, task_run, state) -> bool:  # Prefect's retry_condition_fn signature
    try:
        state.result()
    except TransientError:
        return True
    except Exception:
        return False
    return False


#: seconds between attempts of an I/O task (exponential-ish backoff)
BACKOFF = [10, 30, 90]
