"""The sensor of one Airflow instance: ``airlift_<instance>_sensor``.

Every ``sensor.interval_seconds`` it records each successful Airflow task try,
and each successful completion of a run, exactly once as asset
materializations (see docs/exactly-once.md), and, with ``airflow_assets``
enabled, each of Airflow's asset events once. What is new is decided without
Dagster in :mod:`airlift_component.sensor`; this module is the Dagster side of
it: the sensor definition, the tick's time budget, and its reply (materializations
from :mod:`.materializations`, or a skip reason). When Airflow cannot be
reached the tick is skipped with the error as its reason and the cursor stays
where it was. A tick spends at most :func:`tick_budget_seconds` on Airflow, so
that a slow Airflow ends it before Dagster's sensor timeout does: it keeps what
it settled and leaves the rest to the next tick, saying so in its reason. A DAG
that runs in Airflow before the definitions know it is warned about on each tick;
once `airlift refresh` and a reload add it, the next tick looks back ``sensor.lookback_hours`` for it and records its runs. A
limit of the guarantee met on a tick is logged and named in the tick's reason.

A tick records upstream first (by end time, then the task graph), and requests one
run of the asset checks on what it recorded per Airflow run, with a run key that
makes Dagster launch it once (:mod:`.check_requests`), and again, under the key of
the next attempt, a run of checks whose launch failed before it started (bounded);
``run_asset_checks=False`` turns both off.

A decommissioned DAG's runs that Airflow makes for an interval of its Dagster
schedule (``decommissioned``: the first Dagster tick of each such DAG) are not
recorded; each is logged once as a warning (see docs/exactly-once.md).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from airlift_component.airflow_api.types import AirflowTask
from airlift_component.airflow_state.fetch import ClientFactory, default_client_factory
from airlift_component.airflow_state.proxied import LazyProxiedLookup
from airlift_component.airflow_state.state import AirflowState
from airlift_component.component.airflow_asset_specs import AirflowAssetIndex
from airlift_component.component.asset_specs import InstanceIndex
from airlift_component.component.check_requests import CheckRequester, CheckRetrier
from airlift_component.component.proxy_runs import launched_runs
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirflowApiError
from airlift_component.redact import redact_url, scrub_userinfo
from airlift_component.sensor.cursor import DEFAULT_OVERLAP, CursorError, SensorCursor
from airlift_component.sensor.record_order import TaskOrder

if TYPE_CHECKING:
    # The tick's machinery imports httpx (and rich: 0.2 s, 9,000 objects), which a
    # run worker or a code server that has not ticked yet does not need: the tick
    # imports it (run_tick, _airlift_sensor), not the build.
    from airlift_component.airflow_api.client import AirflowClient
    from airlift_component.airflow_api.time_budget import TimeBudget
    from airlift_component.component.materializations import TickResult
    from airlift_component.sensor.tick import TickScope

#: What a tick answers Dagster.
_Reply = dg.SensorResult | dg.SkipReason

#: Runs recorded per tick at most; the rest follow on the next tick.
MAX_RUNS_PER_TICK = 2000


#: Dagster's sensor evaluation timeout when no variable sets it (dagster._grpc.utils).
DAGSTER_SENSOR_TIMEOUT = 60.0


def dagster_sensor_timeout() -> float:
    """Seconds Dagster gives a sensor evaluation: ``DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS``,
    else ``DAGSTER_GRPC_TIMEOUT_SECONDS``, else 60, as Dagster reads them."""
    for name in ("DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS", "DAGSTER_GRPC_TIMEOUT_SECONDS"):
        try:
            seconds = float(os.environ.get(name) or "")
        except ValueError:
            continue
        if seconds > 0:
            return seconds
    return DAGSTER_SENSOR_TIMEOUT


def tick_budget_seconds(timeout: float) -> float:
    """Seconds a tick may spend on Airflow within Dagster's ``timeout``: the rest (a
    quarter, at least 10 s, at most half) is left for recording and storing it."""
    return max(timeout / 2, timeout - max(10.0, timeout / 4))


def sensor_name(instance: str) -> str:
    """The sensor's name for an instance."""
    return f"airlift_{instance}_sensor"


def run_tick(
    client: AirflowClient,
    instance: Instance,
    index: InstanceIndex,
    state: AirflowState,
    cursor_text: str | None,
    *,
    proxied_state_dir: Path | None = None,
    now: datetime | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    scope: TickScope | None = None,
    dagster_instance: dg.DagsterInstance | None = None,
    airflow_assets: AirflowAssetIndex | None = None,
    budget: TimeBudget | None = None,
    order: TaskOrder | None = None,
) -> TickResult:
    """One tick outside Dagster's machinery (the sensor, tests and benchmarks use it);
    ``budget`` is the tick's time budget, if any; ``order`` ranks tasks by the task
    graphs of ``state`` (made from it when not given). Raises ``AirflowApiError``
    untouched so the caller can fail the tick softly without moving the cursor."""
    from airlift_component.component.materializations import materialize, tick_scope
    from airlift_component.sensor.tick import read_tick

    launched = None
    if dagster_instance is not None:
        launched = launched_runs(dagster_instance, instance.name)
    tick = read_tick(
        client,
        instance,
        SensorCursor.from_json(cursor_text),
        scope or tick_scope(index, airflow_assets),
        LazyProxiedLookup(state, proxied_state_dir),
        now=now or datetime.now(timezone.utc),
        overlap=overlap,
        max_runs=MAX_RUNS_PER_TICK,
        launched=launched,
        budget=budget,
    )
    order = order or task_order(state)
    return materialize(tick, client, instance.name, index, airflow_assets, order)


def task_order(state: AirflowState) -> TaskOrder:
    """The order of each DAG's tasks by the task graph fetched with ``state``."""

    def tasks_of(dag_id: str) -> tuple[AirflowTask, ...]:
        dag = state.dags.get(dag_id)
        return (dag.tasks or ()) if dag is not None else ()

    return TaskOrder(tasks_of)


class _SharedClient:
    """One client per sensor, kept across ticks (no new login per tick) and
    replaced after a failure so a restarted Airflow gets a fresh session."""

    def __init__(self, instance: Instance, factory: ClientFactory) -> None:
        self.instance = instance
        self.factory = factory
        self.client: AirflowClient | None = None

    def get(self) -> AirflowClient:
        if self.client is None:
            self.client = self.factory(self.instance)
        return self.client

    def discard(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


def build_sensor(
    instance: Instance,
    index: InstanceIndex,
    state: AirflowState,
    *,
    proxied_state_dir: Path | None = None,
    client_factory: ClientFactory | None = None,
    airflow_assets: AirflowAssetIndex | None = None,
    run_asset_checks: bool = True,
    decommissioned: Mapping[str, datetime] | None = None,
) -> dg.SensorDefinition:
    """The sensor recording ``instance``'s Airflow runs (and, with ``airflow_assets``,
    Airflow's asset events). With ``run_asset_checks`` (the default) each tick also
    requests a run of the asset checks on the assets it recorded, once per Airflow
    run's batch (see :mod:`.check_requests`). ``decommissioned`` holds the first
    Dagster tick of each decommissioned DAG
    (:func:`airlift_component.sensor.decommissioned.first_ticks` of the mappings; those
    of ``instance.mappings`` are read too)."""
    shared = _SharedClient(instance, client_factory or default_client_factory)

    @functools.cache
    def scope() -> TickScope:
        """Made by the first tick, for every tick."""
        from airlift_component.component.materializations import tick_scope

        return tick_scope(index, airflow_assets, decommissioned)

    order = task_order(state)
    checks = _CheckRuns(instance.name) if run_asset_checks else None

    @_sensor_of(instance, airflow_assets=airflow_assets is not None, checks=checks is not None)
    def _airlift_sensor(context: dg.SensorEvaluationContext) -> _Reply:
        from airlift_component.airflow_api.time_budget import TimeBudget

        budget = TimeBudget.start(*_tick_budget())  # before the client and the scope are made
        try:
            result = run_tick(
                shared.get(),
                instance,
                index,
                state,
                context.cursor,
                proxied_state_dir=proxied_state_dir,
                scope=scope(),
                dagster_instance=context.instance,
                airflow_assets=airflow_assets,
                budget=budget,
                order=order,
            )
        except CursorError as exc:
            return _cursor_refused(context, exc)
        except AirflowApiError as exc:
            shared.discard()
            return _unreachable(context, instance, exc)
        requests = checks.requests(result, context) if checks is not None else []
        return _reply(context, instance, result, requests)

    return _airlift_sensor


class _CheckRuns:
    """The asset-check runs a tick requests: one per Airflow run's batch it recorded,
    then the retries of earlier ones whose launch failed (a run key is never requested
    twice in one tick)."""

    def __init__(self, instance_name: str) -> None:
        self._batches = CheckRequester()
        self._retries = CheckRetrier(instance_name, sensor_name(instance_name))

    def requests(
        self, result: TickResult, context: dg.SensorEvaluationContext
    ) -> list[dg.RunRequest]:
        repository = context.repository_def
        requests = self._batches.requests(result.batches, repository)
        if repository is None:
            return requests
        retries = self._retries.requests(
            context.instance,
            self._batches.targets(repository),
            datetime.now(timezone.utc),
            context.log,
        )
        keys = {request.run_key for request in requests}
        return requests + [r for r in retries if r.run_key not in keys]


def _tick_budget() -> tuple[float, str]:
    """The seconds a tick may spend on Airflow, and how messages name them."""
    timeout = dagster_sensor_timeout()
    seconds = tick_budget_seconds(timeout)
    label = (
        f"the tick's {seconds:g} s (Dagster stops a sensor tick after {timeout:g} s, "
        "DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS)"
    )
    return seconds, label


def _sensor_of(
    instance: Instance, *, airflow_assets: bool, checks: bool
) -> Callable[[Callable[[dg.SensorEvaluationContext], _Reply]], dg.SensorDefinition]:
    """Dagster's ``@sensor`` for ``instance``: its name, interval, status and description."""
    return dg.sensor(
        name=sensor_name(instance.name),
        minimum_interval_seconds=instance.sensor.interval_seconds,
        default_status=_default_status(instance),
        description=_description(instance, airflow_assets, checks),
        # The checks' runs need a target: the asset checks (only those on recorded
        # assets are requested); no asset is ever selected.
        asset_selection=dg.AssetSelection.all_asset_checks() if checks else None,
    )


def _default_status(instance: Instance) -> dg.DefaultSensorStatus:
    if instance.sensor.default_status == "running":
        return dg.DefaultSensorStatus.RUNNING
    return dg.DefaultSensorStatus.STOPPED


def _description(instance: Instance, airflow_assets: bool, checks: bool) -> str:
    events = (
        ", and each Airflow asset event as one of its Airflow asset." if airflow_assets else "."
    )
    then = (
        " Then runs the asset checks on what it recorded, once per Airflow run it recorded."
        if checks
        else ""
    )
    return (
        f"Records runs of Airflow instance {instance.name!r} ({redact_url(instance.url)}) "
        "as materializations of their mapped assets: each successful task try and each "
        f"successful run completion exactly once{events}{then}"
    )


def _cursor_refused(context: dg.SensorEvaluationContext, exc: CursorError) -> dg.SkipReason:
    """The stored cursor is not this sensor's to read (another instance's, or damaged):
    nothing is recorded until a person resets it, as the message says."""
    message = scrub_userinfo(str(exc))
    context.log.error("%s", message)
    return dg.SkipReason(message)


def _unreachable(
    context: dg.SensorEvaluationContext, instance: Instance, exc: AirflowApiError
) -> dg.SkipReason:
    message = scrub_userinfo(str(exc))
    context.log.warning("Airflow %s unreachable: %s", instance.name, message)
    return dg.SkipReason(
        f"Airflow instance {instance.name!r} could not be read; the cursor was not "
        f"moved and the next tick retries. {message}"
    )


def _reply(
    context: dg.SensorEvaluationContext,
    instance: Instance,
    result: TickResult,
    requests: list[dg.RunRequest],
) -> _Reply:
    """What Dagster stores for the tick: its materializations, the runs of their checks
    and its cursor, or a skip when there is nothing to store; the limits met go in the
    reason (or, when runs are requested, which Dagster then needs, in the log)."""
    for warning in result.warnings:
        context.log.warning(scrub_userinfo(warning))
    for text in result.limits:
        context.log.warning("exactly-once limit: %s", scrub_userinfo(text))
    limits = " ".join(f"Limit: {scrub_userinfo(text)}." for text in result.limits)
    cursor = result.cursor.to_json()
    if result.events:
        reason = (
            f"recorded {len(result.events)} materialization(s) from {result.runs} changed "
            f"Airflow run(s) of {instance.name!r}."
        )
        if requests:
            reason += f" Requested {len(requests)} run(s) of asset checks."
        context.log.info(reason)
    elif result.out_of_time is not None:
        reason = (
            f"Airflow instance {instance.name!r} answered too slowly to record "
            "anything this tick; the cursor was not moved past anything unrecorded."
        )
    else:
        reason = f"nothing new from Airflow instance {instance.name!r} since the last tick."
    if not result.events and cursor == context.cursor and not requests:
        return dg.SkipReason(f"{reason} {limits}".strip())
    if requests:
        # Dagster takes a skip reason or run requests, not both; the limits were logged.
        return dg.SensorResult(asset_events=result.events, cursor=cursor, run_requests=requests)
    # The events are stored whatever the reason; it only labels the tick.
    return dg.SensorResult(
        asset_events=result.events, cursor=cursor, skip_reason=f"{reason} {limits}".strip()
    )
