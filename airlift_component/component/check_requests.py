"""The runs of asset checks a tick requests for what it recorded from Airflow.

Every asset check defined on an asset the sensor records (a user's
``@asset_check`` merged into the code location, or a check declared in
``airlift.yaml``) runs after each recorded batch (one Airflow run's tries and
completion in one tick, see :mod:`airlift_component.sensor.check_batches`), in
one Dagster run per batch with a run key derived from the batch, so Dagster
launches it once whatever happens to the tick. The checks are found in the
asset graph of the code location the sensor runs in (the one the user's
``Definitions.merge`` built), at the first tick and again when it changes.

Only checks that run on their own are requested: a check defined together with
the asset it checks (``@asset(check_specs=...)``, a multi-asset's checks) runs
when Dagster materializes that asset, and requesting it alone would make
Dagster materialize the asset that Airflow already made. A partitioned check is
not requested either (the batch gives no single partition to run it for). A
multi-asset check that Dagster cannot run in part (``@multi_asset_check`` without
``can_subset``) runs as a whole, as Dagster itself would run it. What
a proxied task made in Dagster is not recorded by the sensor, so no check is
requested for it: its own Dagster run ran the checks it selected.

A run of checks whose launch failed (the run failed before it started, or stayed
``NOT_STARTED``) is requested again on a later tick, at most
:data:`~airlift_component.sensor.check_retries.MAX_LAUNCHES` launches per batch and
never after one started (:class:`CheckRetrier`;
:mod:`airlift_component.sensor.check_retries` decides).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import dagster as dg

from airlift_component.sensor.check_retries import (
    RETRY_WINDOW,
    CheckRunState,
    plan_retries,
    split_key,
    successor_keys,
)

#: Tags of a check run: which Airflow run's batch it checks (never the proxies' tags,
#: which mark a Dagster run as the one a proxied task launched).
CHECKS_INSTANCE_TAG = "airlift/checks_for_instance"
CHECKS_DAG_TAG = "airlift/checks_for_dag_id"
CHECKS_RUN_TAG = "airlift/checks_for_run_id"
#: On a retry: which launch of the batch's checks it is (2 for the first retry).
CHECKS_LAUNCH_TAG = "airlift/checks_launch"
#: Set on a run whose failed launch the sensor gave up retrying (so it says so once).
CHECKS_GAVE_UP_TAG = "airlift/checks_not_retried"

#: Dagster's own tags on a sensor's runs (``dagster._core.storage.tags``), as strings:
#: the run key, the sensor that requested the run, and whether run retries retry it.
RUN_KEY_TAG = "dagster/run_key"
SENSOR_NAME_TAG = "dagster/sensor_name"
WILL_RETRY_TAG = "dagster/will_retry"
#: Failed and not started checks' runs read per tick at most.
RETRY_SCAN_LIMIT = 500


@dataclass(frozen=True)
class CheckBatch:
    """The assets one tick recorded for one Airflow run, and the run key of their checks."""

    run_key: str
    instance: str
    dag_id: str
    run_id: str
    keys: frozenset[dg.AssetKey]


class CheckTargets:
    """The checks to request per asset key, from one repository's asset graph."""

    def __init__(self, repository: dg.RepositoryDefinition) -> None:
        self.repository = repository
        graph = repository.asset_graph
        self.by_asset: dict[dg.AssetKey, list[dg.AssetCheckKey]] = {}
        for check_key in sorted(graph.asset_check_keys, key=lambda k: k.to_user_string()):
            definition = graph.assets_def_for_key(check_key)
            if definition.keys or definition.partitions_def is not None:
                continue  # runs with its asset, or needs a partition (module docstring)
            # A multi-asset check that cannot be subset runs as a whole, as Dagster runs it.
            unit = [check_key] if definition.can_subset else sorted(definition.check_keys)
            self.by_asset.setdefault(check_key.asset_key, []).extend(unit)

    def known(self, checks: Iterable[dg.AssetCheckKey]) -> list[dg.AssetCheckKey]:
        """Those of ``checks`` the sensor may still request, in a stable order."""
        runnable = {check for unit in self.by_asset.values() for check in unit}
        return sorted(set(checks) & runnable, key=lambda k: k.to_user_string())

    def for_assets(self, keys: Iterable[dg.AssetKey]) -> list[dg.AssetCheckKey]:
        """The checks to run after ``keys`` were recorded, in a stable order."""
        found = {check for key in keys for check in self.by_asset.get(key, ())}
        return sorted(found, key=lambda k: k.to_user_string())


class CheckRequester:
    """Turns a tick's batches into run requests; keeps the checks of the last
    repository it saw (the sensor's code location, rebuilt on a reload)."""

    def __init__(self) -> None:
        self._targets: CheckTargets | None = None

    def targets(self, repository: dg.RepositoryDefinition) -> CheckTargets:
        if self._targets is None or self._targets.repository is not repository:
            self._targets = CheckTargets(repository)
        return self._targets

    def requests(
        self, batches: Sequence[CheckBatch], repository: dg.RepositoryDefinition | None
    ) -> list[dg.RunRequest]:
        """One run request per batch with checks on its assets."""
        if repository is None or not batches:
            return []
        targets = self.targets(repository)
        if not targets.by_asset:
            return []
        requests = []
        for batch in batches:
            checks = targets.for_assets(batch.keys)
            if checks:
                requests.append(check_run_request(batch, checks))
        return requests


def check_run_request(batch: CheckBatch, checks: Sequence[dg.AssetCheckKey]) -> dg.RunRequest:
    """The run of ``checks`` after ``batch`` (no asset is materialized by it)."""
    return dg.RunRequest(
        run_key=batch.run_key,
        asset_selection=[],
        asset_check_keys=list(checks),
        tags={
            CHECKS_INSTANCE_TAG: batch.instance,
            CHECKS_DAG_TAG: batch.dag_id,
            CHECKS_RUN_TAG: batch.run_id,
        },
    )


class CheckRetrier:
    """Requests again the runs of checks whose launch failed (module docstring).

    Reads the sensor's own checks' runs that failed or did not start, updated within
    :data:`~airlift_component.sensor.check_retries.RETRY_WINDOW`, from the Dagster
    instance, once per tick, and one more query for the next attempts' run keys.
    """

    def __init__(self, instance_name: str, sensor: str) -> None:
        self.instance_name = instance_name
        self.sensor = sensor

    def requests(
        self,
        dagster: dg.DagsterInstance,
        targets: CheckTargets,
        now: datetime,
        log: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
    ) -> list[dg.RunRequest]:
        """The run requests that retry failed launches (none while no launch failed)."""
        runs, states = self._unstarted_runs(dagster, now)
        if not states:
            return []
        plan = plan_retries(states, self._taken(dagster, successor_keys(states)), now)
        for state in plan.gave_up:
            if log is not None:
                log.warning(
                    "exactly-once limit: the run of asset checks %s (%s) failed to launch "
                    "%d times; not requesting it again: run the checks by hand",
                    state.run_id,
                    _airflow_run(runs[state.run_id].tags),
                    _launch_number(state.run_key),
                )
            dagster.add_run_tags(state.run_id, {CHECKS_GAVE_UP_TAG: "true"})
        requests = []
        for key, state in plan.requests:
            run = runs[state.run_id]
            checks = targets.known(run.asset_check_selection or ())
            if not checks:
                continue  # its checks left the code location since
            if log is not None:
                log.info(
                    "requesting again the asset checks of %s: run %s %s before it started",
                    _airflow_run(run.tags),
                    state.run_id,
                    "failed" if state.status == "FAILURE" else "was not launched",
                )
            tags = {k: v for k, v in run.tags.items() if k.startswith("airlift/checks_")}
            tags[CHECKS_LAUNCH_TAG] = str(_launch_number(key))
            requests.append(
                dg.RunRequest(run_key=key, asset_selection=[], asset_check_keys=checks, tags=tags)
            )
        return requests

    def _unstarted_runs(
        self, dagster: dg.DagsterInstance, now: datetime
    ) -> tuple[dict[str, dg.DagsterRun], list[CheckRunState]]:
        """This sensor's recent check runs that failed or were not launched, by id, and
        what :func:`plan_retries` reads of each (runs it gave up on are left out)."""
        records = dagster.get_run_records(
            filters=dg.RunsFilter(
                tags={CHECKS_INSTANCE_TAG: self.instance_name, SENSOR_NAME_TAG: self.sensor},
                statuses=[dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.NOT_STARTED],
                updated_after=now - RETRY_WINDOW,
            ),
            limit=RETRY_SCAN_LIMIT,
        )
        runs: dict[str, dg.DagsterRun] = {}
        states = []
        for record in records:
            run = record.dagster_run
            if run.tags.get(CHECKS_GAVE_UP_TAG) or RUN_KEY_TAG not in run.tags:
                continue
            runs[run.run_id] = run
            states.append(
                CheckRunState(
                    run_id=run.run_id,
                    run_key=run.tags[RUN_KEY_TAG],
                    status=run.status.value,
                    started=record.start_time is not None,
                    will_retry=run.tags.get(WILL_RETRY_TAG, "").lower() == "true",
                    created=record.create_timestamp,
                )
            )
        return runs, states

    def _taken(self, dagster: dg.DagsterInstance, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` this sensor already has runs of (as Dagster's own check)."""
        if not keys:
            return set()
        found = dagster.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: list(keys)}))
        return {
            run.tags[RUN_KEY_TAG] for run in found if run.tags.get(SENSOR_NAME_TAG) == self.sensor
        }


def _launch_number(run_key: str) -> int:
    parsed = split_key(run_key)
    return 1 + (parsed[1] if parsed else 0)


def _airflow_run(tags: Mapping[str, str]) -> str:
    return (
        f"Airflow run {tags.get(CHECKS_DAG_TAG, '?')}/{tags.get(CHECKS_RUN_TAG, '?')} "
        f"of {tags.get(CHECKS_INSTANCE_TAG, '?')!r}"
    )
