"""Freshness judged between runs: the sensor ``airlift_<instance>_freshness_checks``.

A freshness check declared in ``airlift.yaml`` is an asset check on its key, so it
is evaluated with every update of that key: in the run of checks the airlift sensor
requests for each Airflow run it records, and in the Dagster run of a proxied task.
One update, one evaluation. What those runs cannot show is an update that does not
come, so this sensor asks for an evaluation only when time alone may have changed
the answer:

* the last evaluation passed, nothing is evaluating it now, and the time it was
  fresh until (Dagster's ``dagster/fresh_until_timestamp`` on that result) is past;
* the check has never been evaluated, and its lag has gone by since this sensor
  first saw it (an asset whose DAG stopped before airlift watched it still fails).

A failed check is left to the next update's run, which evaluates it anyway. Dagster's
own ``build_sensor_for_freshness_checks`` differs in two ways that would judge one
Airflow run twice: it evaluates a check that never ran at its first tick, and a
failed one again after each update that the airlift sensor's check run also judges.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, MutableMapping, Sequence

import dagster as dg

#: Dagster's metadata on a freshness check's spec (its parameters) and result.
PARAMS_METADATA = "dagster/freshness_params"
LAG_PARAM = "lower_bound_delta_seconds"
FRESH_UNTIL_METADATA = "dagster/fresh_until_timestamp"
#: Tag of the runs this sensor requests (the value is the airlift instance).
BETWEEN_RUNS_TAG = "airlift/freshness_between_runs"


def check_lags(checks: Sequence[dg.AssetChecksDefinition]) -> dict[dg.AssetCheckKey, float]:
    """Each freshness check's lag in seconds, as Dagster wrote it on the check's spec."""
    lags: dict[dg.AssetCheckKey, float] = {}
    for definition in checks:
        for spec in definition.check_specs:
            params = spec.metadata.get(PARAMS_METADATA)
            value = getattr(params, "value", params)
            if isinstance(value, Mapping) and LAG_PARAM in value:
                lags[spec.key] = float(value[LAG_PARAM])
    return lags


def due_checks(
    instance: dg.DagsterInstance,
    lags: Mapping[dg.AssetCheckKey, float],
    first_seen: MutableMapping[str, float],
    now: float,
) -> dict[dg.AssetCheckKey, str]:
    """The checks to evaluate at ``now``, each with what makes it due (for the run key).

    ``first_seen`` (check key -> time) is the sensor's memory of checks never
    evaluated; it gains the ones seen for the first time and loses the others.
    """
    storage = instance.event_log_storage
    summaries = storage.get_asset_check_summary_records(list(lags))
    due: dict[dg.AssetCheckKey, str] = {}
    for key in sorted(lags, key=lambda k: k.to_user_string()):
        name = key.to_user_string()
        summary = summaries.get(key)
        last = summary.last_check_execution_record if summary else None
        completed = summary.last_completed_check_execution_record if summary else None
        if completed is None and last is None:
            seen = first_seen.setdefault(name, now)
            if now >= seen + lags[key]:
                due[key] = f"never@{seen}"
            continue
        first_seen.pop(name, None)
        if last is not None and last.status.value == "PLANNED":
            continue  # being evaluated now
        event = completed.event if completed is not None else None
        evaluation = event.asset_check_evaluation if event is not None else None
        if evaluation is None or not evaluation.passed:
            continue  # the next update's run evaluates it
        until = evaluation.metadata.get(FRESH_UNTIL_METADATA)
        if until is not None and isinstance(until.value, int | float) and now > until.value:
            due[key] = f"passed@{completed.id}"  # type: ignore[union-attr]
    return due


def _read_cursor(cursor: str | None) -> dict[str, float]:
    try:
        data = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}


def _run_key(due: Mapping[dg.AssetCheckKey, str]) -> str:
    """One key per set of due checks and what made each due, so a tick that asks
    again before the run has started is not launched twice."""
    text = "\n".join(f"{key.to_user_string()} {basis}" for key, basis in due.items())
    return "freshness:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def between_runs_sensor(
    instance: str, checks: Sequence[dg.AssetChecksDefinition], running: bool
) -> dg.SensorDefinition:
    """The sensor that evaluates ``checks`` when they may have gone stale between runs."""
    lags = check_lags(checks)
    name = f"airlift_{instance}_freshness_checks"

    @dg.sensor(
        name=name,
        asset_selection=dg.AssetSelection.checks(*checks),
        default_status=dg.DefaultSensorStatus.RUNNING
        if running
        else dg.DefaultSensorStatus.STOPPED,
        description=f"Evaluates the freshness checks of airlift instance {instance!r} when "
        "they may have gone stale since their last evaluation (each update's own run "
        "evaluates them too).",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        first_seen = _read_cursor(context.cursor)
        due = due_checks(context.instance, lags, first_seen, time.time())
        context.update_cursor(json.dumps(first_seen, sort_keys=True))
        if not due:
            return dg.SkipReason("no freshness check can have gone stale since it was judged")
        return dg.RunRequest(
            run_key=_run_key(due),
            asset_check_keys=sorted(due, key=lambda k: k.to_user_string()),
            tags={BETWEEN_RUNS_TAG: instance},
        )

    return _sensor
