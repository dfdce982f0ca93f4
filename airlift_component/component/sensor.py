"""The sensor of one Airflow instance: ``airlift_<instance>_sensor``.

Every ``sensor.interval_seconds`` it records the Airflow runs that finished
since its cursor (see :mod:`airlift_component.airflow_state.sensor_cursor`) as
asset materializations. When Airflow cannot be reached the tick is skipped with
the error as its reason and the cursor stays where it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from airlift_component.airflow_state.fetch import ClientFactory, default_client_factory
from airlift_component.airflow_state.proxied import proxied_lookup
from airlift_component.airflow_state.sensor_cursor import DEFAULT_OVERLAP, SensorCursor
from airlift_component.airflow_state.state import AirflowState
from airlift_component.component.asset_specs import InstanceIndex
from airlift_component.component.sensor_tick import TickResult, evaluate_tick
from airlift_component.config.airlift_model import Instance
from airlift_component.errors import AirflowApiError

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient

#: Runs recorded per tick at most; the rest follow on the next tick.
MAX_RUNS_PER_TICK = 2000


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
) -> TickResult:
    """One tick outside Dagster's machinery (the sensor, tests and benchmarks use it)."""
    cursor = SensorCursor.from_json(cursor_text)
    proxied = proxied_lookup(state, proxied_state_dir)
    return evaluate_tick(
        client,
        instance,
        index,
        cursor,
        proxied,
        now=now or datetime.now(timezone.utc),
        overlap=overlap,
        max_runs=MAX_RUNS_PER_TICK,
    )


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
) -> dg.SensorDefinition:
    """The sensor recording ``instance``'s Airflow runs."""
    settings = instance.sensor
    status = (
        dg.DefaultSensorStatus.RUNNING
        if settings.default_status == "running"
        else dg.DefaultSensorStatus.STOPPED
    )

    shared = _SharedClient(instance, client_factory or default_client_factory)

    @dg.sensor(
        name=sensor_name(instance.name),
        minimum_interval_seconds=settings.interval_seconds,
        default_status=status,
        description=(
            f"Records runs of Airflow instance {instance.name!r} ({instance.url}) as "
            "materializations of their mapped assets, exactly once."
        ),
    )
    def _airlift_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        try:
            result = run_tick(
                shared.get(),
                instance,
                index,
                state,
                context.cursor,
                proxied_state_dir=proxied_state_dir,
            )
        except AirflowApiError as exc:
            shared.discard()
            context.log.warning("Airflow %s unreachable: %s", instance.name, exc)
            return dg.SkipReason(
                f"Airflow instance {instance.name!r} could not be read; the cursor was not "
                f"moved and the next tick retries. {exc}"
            )
        for warning in result.warnings:
            context.log.warning(warning)
        if not result.runs:
            return dg.SkipReason(f"no Airflow run of {instance.name!r} finished since last tick")
        context.log.info(
            "recorded %d finished Airflow run(s) as %d materialization(s)",
            result.runs,
            len(result.events),
        )
        return dg.SensorResult(asset_events=result.events, cursor=result.cursor.to_json())

    return _airlift_sensor
