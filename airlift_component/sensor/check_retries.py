"""Which runs of asset checks to request again because their launch failed.

The sensor requests one run of the checks per recorded batch, with a run key
derived from the batch (:mod:`.check_batches`); Dagster creates a run per key
and launches it. A launch can fail: the run launcher raised (the daemon marks
the run ``FAILURE`` before it ever started), or the submission raised before
the run left ``NOT_STARTED``. Dagster never launches a run key twice for a
sensor, and the sensor's cursor has moved on, so nothing would run those
checks. On a later tick the sensor looks at its own checks' runs and plans:

* a run still ``NOT_STARTED`` some time after it was created (the tick that
  made it has long finished submitting) is requested again with **the same run
  key**: Dagster then submits that same run, it creates no other;
* a run that **failed before it started** (no start time: no step ran, so no
  check was evaluated; a run worker that comes up after its run was marked
  failed does not run it) is requested again with the key of the next
  attempt, ``<batch key>:retry-<n>``, derived from the batch key and the
  attempt alone. The next attempt is requested only after every earlier one
  failed before starting, and Dagster launches each key once, so at most one
  run of a batch's checks ever starts;
* a run Dagster's own run retries will retry (tagged ``dagster/will_retry``
  ``true``) is left to them, and so is a run that started (its checks failed,
  or its process died mid-way: running them again could evaluate a check
  twice);
* after :data:`MAX_LAUNCHES` failed launches of one batch the sensor gives up
  and says so (once per run).

Imports no Dagster: the Dagster side (``component/check_requests.py``) reads the
runs and turns the plan into run requests.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from airlift_component.sensor.check_batches import RUN_KEY_PREFIX

#: Launches of one batch's checks at most: the first and two retries.
MAX_LAUNCHES = 3
#: How long after creation a run still ``NOT_STARTED`` is taken for a failed submission.
NOT_STARTED_GRACE = timedelta(minutes=2)
#: How far back the sensor looks for failed launches (by the runs' last update).
RETRY_WINDOW = timedelta(hours=6)
#: Between a batch's run key and the attempt number of a retry.
RETRY_SEPARATOR = ":retry-"


@dataclass(frozen=True)
class CheckRunState:
    """What the planner needs to know of one of the sensor's checks' runs."""

    run_id: str
    run_key: str
    #: Dagster's status name (``FAILURE``, ``NOT_STARTED``, ...).
    status: str
    #: Dagster recorded a start for it (a start time).
    started: bool
    #: Tagged ``dagster/will_retry=true``: Dagster's run retries take care of it.
    will_retry: bool
    created: datetime


@dataclass(frozen=True)
class RetryPlan:
    """Run keys to request, each with the run whose checks and tags it repeats, and
    the runs given up on (failed :data:`MAX_LAUNCHES` times)."""

    requests: list[tuple[str, CheckRunState]] = field(default_factory=list)
    gave_up: list[CheckRunState] = field(default_factory=list)


def split_key(run_key: str) -> tuple[str, int] | None:
    """``(batch key, attempt)`` of a checks' run key (attempt 0 for the first
    launch); None for a key the sensor does not make."""
    if not run_key.startswith(f"{RUN_KEY_PREFIX}:"):
        return None
    base, sep, number = run_key.rpartition(RETRY_SEPARATOR)
    if not sep:
        return run_key, 0
    if not number.isdigit() or int(number) < 1:
        return None
    return base, int(number)


def retry_key(batch_key: str, attempt: int) -> str:
    """The run key of attempt ``attempt`` (1 or more) of a batch's checks."""
    return f"{batch_key}{RETRY_SEPARATOR}{attempt}"


def successor_keys(runs: Iterable[CheckRunState]) -> list[str]:
    """The run keys a plan over ``runs`` may request as next attempts (to look up
    which of them Dagster already has)."""
    keys = []
    for run in runs:
        parsed = split_key(run.run_key)
        if parsed is not None and run.status == "FAILURE":
            keys.append(retry_key(parsed[0], parsed[1] + 1))
    return sorted(set(keys))


def plan_retries(
    runs: Iterable[CheckRunState],
    taken: Collection[str],
    now: datetime,
    *,
    max_launches: int = MAX_LAUNCHES,
    grace: timedelta = NOT_STARTED_GRACE,
) -> RetryPlan:
    """What to request again (see the module docstring). ``taken`` holds the run
    keys Dagster already has runs of for this sensor."""
    plan = RetryPlan()
    chosen: set[str] = set()
    for run in sorted(runs, key=lambda r: (r.created, r.run_id)):
        parsed = split_key(run.run_key)
        if parsed is None:
            continue
        batch, attempt = parsed
        if run.status == "NOT_STARTED":
            key = run.run_key if now - run.created >= grace else None
        elif run.status == "FAILURE" and not run.started and not run.will_retry:
            if attempt + 1 >= max_launches:
                plan.gave_up.append(run)
                continue
            key = retry_key(batch, attempt + 1)
            if key in taken:
                continue  # the next attempt was requested already
        else:
            continue
        if key is not None and key not in chosen:
            chosen.add(key)
            plan.requests.append((key, run))
    return plan
