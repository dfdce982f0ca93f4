"""The steps of `airlift decommission` that read or change something: airlift.yaml, the
proxied-state file, the stored Airflow assets and Dagster's view of the schedule.

Each refusal is an :class:`~airlift_component.errors.AirliftError` (exit 1) whose
message names the file, DAG or URL and says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airlift_component.errors import AirliftError, UsageError

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient
    from airlift_component.config.airlift_yaml.model import AirliftFile, Instance
    from airlift_component.dagster_api import DagsterClient
    from airlift_component.decommission.plan import KeyOf


def pick_instance(model: AirliftFile, name: str | None, dag_id: str, path: Path) -> Instance:
    """The instance named, else the only one that maps ``dag_id``."""
    if name is not None:
        found = [instance for instance in model.instances if instance.name == name]
        if not found:
            known = ", ".join(sorted(instance.name for instance in model.instances))
            raise UsageError(f"{path}: no instance named {name!r} (the file defines {known})")
        return found[0]
    mapping = [i for i in model.instances if any(m.dag == dag_id for m in i.mappings)]
    if len(mapping) == 1:
        return mapping[0]
    if not mapping:
        raise UsageError(
            f"{path}: no instance maps DAG {dag_id!r}; map it (airlift scaffold, then its "
            "tasks' assets) before decommissioning it"
        )
    names = ", ".join(instance.name for instance in mapping)
    raise UsageError(f"{path}: instances {names} all map DAG {dag_id!r}; name one with --instance")


def still_in_airflow(
    instance: Instance, config: Path, dag_id: str, client: AirflowClient
) -> list[str]:
    """The DAG's tasks that still run in Airflow (empty: fully proxied), as its
    proxied-state file and Airflow's task list say."""
    from airlift_component.config.proxied_state.edit import state_file_for
    from airlift_component.config.proxied_state.file import read_proxied_state_file
    from airlift_component.errors import ConfigError

    if instance.proxied_state_dir is None:
        raise AirliftError(
            f"{config}: instance {instance.name!r} has no proxied_state_dir, so whether DAG "
            f"{dag_id!r} runs in Dagster cannot be told; set it, or pass --force"
        )
    folder = config.parent / instance.proxied_state_dir
    path = state_file_for(folder, dag_id)
    if path is None:
        raise AirliftError(
            f"{folder}: DAG {dag_id!r} has no proxied-state file, so it runs in Airflow; "
            f"proxy it first (airlift proxy on {dag_id} --dag), or pass --force"
        )
    state, problems = read_proxied_state_file(path)
    if state is None:
        raise ConfigError(problems)
    if state.dag_level:
        return [] if state.proxied else ["(the whole DAG: proxied: false)"]
    return [
        task.task_id
        for task in client.list_tasks(dag_id)
        if not state.is_task_proxied(task.task_id)
    ]


def stored_asset_keys(instance: Instance, config: Path) -> KeyOf | None:
    """The Dagster key of each Airflow asset the stored state holds (``None`` when the
    instance does not show Airflow assets)."""
    from airlift_component.airflow_state.airflow_assets import airflow_asset_key
    from airlift_component.airflow_state.state_file import read_state_file
    from airlift_component.airflow_state.state_location import refresh_targets

    if not instance.airflow_assets.enabled:
        return None
    targets = refresh_targets(config)
    stored = read_state_file(targets.paths[0]) if targets.paths else None
    state = stored.instances.get(instance.name) if stored is not None else None
    if state is None or state.airflow_assets is None:
        where = targets.paths[0] if targets.paths else "Dagster's versioned defs-state storage"
        raise AirliftError(
            f"{where}: no stored Airflow assets of instance {instance.name!r}; run "
            "`airlift refresh` (with airflow_assets enabled) and run the command again"
        )
    by_uri = {asset.uri: asset for asset in state.airflow_assets}

    def key_of(uri: str, name: str) -> str | None:
        asset = by_uri.get(uri)
        return "/".join(airflow_asset_key(instance, asset)) if asset is not None else None

    return key_of


def edit_config(path: Path, change: Callable[[str], str]) -> str:
    """Apply ``change`` to airlift.yaml's text under its lock, atomically; returns the
    text it replaced."""
    from airlift_component.config.atomic_write import atomic_write_bytes, locked

    with locked(path):
        before = path.read_bytes().decode("utf-8")
        atomic_write_bytes(path, change(before).encode("utf-8"))
    return before


def now() -> datetime:
    return datetime.now(timezone.utc)


_DEFINITIONS = """
query AirliftDecommissionDefinitions {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        schedules {
          name
          futureTicks(limit: 3) { results { timestamp } }
          scheduleState {
            id
            typeSpecificData { __typename ... on ScheduleData { startTimestamp } }
          }
        }
        sensors { name }
      }
    }
    ... on PythonError { message }
  }
}
"""


@dataclass(frozen=True)
class DagsterSchedule:
    """A schedule as Dagster's webserver has it."""

    next_ticks: tuple[datetime, ...]
    state_id: str
    #: Dagster's ``ScheduleSelector`` of it (location, repository, schedule name).
    selector: dict[str, str]
    #: The stored start Dagster counts its ticks from (``None``: none stored yet).
    counts_from: datetime | None


@dataclass(frozen=True)
class DagsterDefinitions:
    """Every schedule of the webserver by name, and every sensor name."""

    schedules: dict[str, DagsterSchedule]
    sensors: frozenset[str]


def dagster_definitions(client: DagsterClient) -> DagsterDefinitions:
    """The webserver's schedules (next ticks and stored state) and sensors, in one request."""

    def parse(result: Any) -> DagsterDefinitions:
        schedules: dict[str, DagsterSchedule] = {}
        sensors: set[str] = set()
        for node in result["nodes"]:
            for found in node["schedules"]:
                state = found["scheduleState"]
                start = state["typeSpecificData"].get("startTimestamp")
                schedules.setdefault(
                    found["name"],
                    DagsterSchedule(
                        tuple(_instant(t["timestamp"]) for t in found["futureTicks"]["results"]),
                        state["id"],
                        {
                            "repositoryLocationName": node["location"]["name"],
                            "repositoryName": node["name"],
                            "scheduleName": found["name"],
                        },
                        _instant(start) if start is not None else None,
                    ),
                )
            sensors.update(sensor["name"] for sensor in node["sensors"])
        return DagsterDefinitions(schedules, frozenset(sensors))

    return client.fetch(
        _DEFINITIONS,
        field="repositoriesOrError",
        typename="RepositoryConnection",
        doing="list schedules and sensors",
        parse=parse,
    )


def _instant(timestamp: Any) -> datetime:
    return datetime.fromtimestamp(float(timestamp), timezone.utc)


_STOP = """
mutation AirliftDecommissionStop($id: String!) {
  stopRunningSchedule(id: $id) {
    __typename
    ... on ScheduleStateResult { scheduleState { status } }
    ... on PythonError { message }
  }
}
"""

_START = """
mutation AirliftDecommissionStart($selector: ScheduleSelector!) {
  startSchedule(scheduleSelector: $selector) {
    __typename
    ... on ScheduleStateResult {
      scheduleState {
        typeSpecificData { __typename ... on ScheduleData { startTimestamp } }
      }
    }
    ... on PythonError { message }
  }
}
"""


def count_ticks_from_now(client: DagsterClient, schedule: DagsterSchedule) -> datetime:
    """The moment from which Dagster counts ``schedule``'s ticks, made no later than now.

    A schedule running by default has no stored state until the daemon first
    evaluates it (on a minute boundary, up to a minute after it takes up new
    code), and counts its ticks from then: a first tick before that would run
    nowhere. Stopping and starting it stores a running state that counts from
    now, so the daemon runs every tick after it, catching up if it is late.
    An already stored start is kept.
    """
    if schedule.counts_from is not None:
        return schedule.counts_from
    doing = f"start counting the ticks of schedule {schedule.selector['scheduleName']!r}"
    client.fetch(
        _STOP,
        {"id": schedule.state_id},
        field="stopRunningSchedule",
        typename="ScheduleStateResult",
        doing=doing,
        parse=lambda result: None,
    )
    return client.fetch(
        _START,
        {"selector": schedule.selector},
        field="startSchedule",
        typename="ScheduleStateResult",
        doing=doing,
        parse=lambda result: _instant(
            result["scheduleState"]["typeSpecificData"]["startTimestamp"]
        ),
    )


_SENSOR_TICKS = """
query AirliftDecommissionSensorTicks {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes { sensors { name sensorState { ticks(limit: 1) { timestamp } } } }
    }
    ... on PythonError { message }
  }
}
"""


def sensor_has_ticked(client: DagsterClient, sensor: str) -> bool:
    """Whether the daemon has ticked ``sensor`` (evaluated it) at least once."""

    def parse(result: Any) -> bool:
        return any(
            bool(found["sensorState"]["ticks"])
            for node in result["nodes"]
            for found in node["sensors"]
            if found["name"] == sensor
        )

    return client.fetch(
        _SENSOR_TICKS,
        field="repositoriesOrError",
        typename="RepositoryConnection",
        doing=f"read the ticks of sensor {sensor!r}",
        parse=parse,
    )
