"""The run key of the asset checks a tick requests for one recorded batch.

A *batch* is what one tick records of one Airflow run: its new task tries and,
if it finished successfully again, its completion. The checks on the assets of
a batch run once, in one Dagster run whose run key is derived from the batch
alone: the instance, the DAG and run ids, each recorded try ``(task id, map
index, try number)`` and the completion's end date. The same batch always gets
the same key (a tick retried after a failure, a daemon restarted before it
stored the cursor, a cursor reset that records the run again), and Dagster
launches at most one run per key and sensor, so the checks of a batch run
once. A different batch (a clear that re-ran tasks, a new completion) gets a
new key. Imports no Dagster.
"""

from __future__ import annotations

import hashlib
import json

from airlift_component.sensor.run_ledger import RunOutcome

#: Every run key of the checks starts with it (and the instance's name).
RUN_KEY_PREFIX = "airlift-checks"


def batch_identity(instance: str, outcome: RunOutcome) -> list[object]:
    """What tells one recorded batch from every other (see the module docstring)."""
    run = outcome.run
    tries = sorted((ti.task_id, ti.map_index, ti.try_number) for ti in outcome.tries)
    end = run.end_date.isoformat() if outcome.completed and run.end_date is not None else None
    return [instance, run.dag_id, run.run_id, [list(t) for t in tries], end]


def batch_run_key(instance: str, outcome: RunOutcome) -> str:
    """The run key of the checks of ``outcome``'s batch: ``airlift-checks:<instance>:``
    and a SHA-256 of :func:`batch_identity` (32 hex digits)."""
    text = json.dumps(batch_identity(instance, outcome), separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"{RUN_KEY_PREFIX}:{instance}:{digest}"
