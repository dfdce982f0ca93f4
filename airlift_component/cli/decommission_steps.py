"""The steps of `airlift decommission` that read or change something: airlift.yaml, the
proxied-state file, the stored Airflow assets and Dagster's view of the schedule.

Each refusal is an :class:`~airlift_component.errors.AirliftError` (exit 1) whose
message names the file, DAG or URL and says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
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
        schedules { name futureTicks(limit: 3) { results { timestamp } } }
        sensors { name }
      }
    }
    ... on PythonError { message }
  }
}
"""


def dagster_definitions(client: DagsterClient) -> tuple[dict[str, list[datetime]], set[str]]:
    """Every schedule of the webserver with its next ticks, and every sensor name."""
    data = client.graphql(_DEFINITIONS, fields=["repositoriesOrError"])
    result = client._result(
        data, "repositoriesOrError", "RepositoryConnection", "list schedules and sensors"
    )

    def parse() -> tuple[dict[str, list[datetime]], set[str]]:
        schedules: dict[str, list[datetime]] = {}
        sensors: set[str] = set()
        for node in result["nodes"]:
            for schedule in node["schedules"]:
                ticks = schedule["futureTicks"]["results"]
                schedules[schedule["name"]] = [_instant(tick["timestamp"]) for tick in ticks]
            sensors.update(sensor["name"] for sensor in node["sensors"])
        return schedules, sensors

    return client._parsed("list schedules and sensors", parse)


def _instant(timestamp: Any) -> datetime:
    return datetime.fromtimestamp(float(timestamp), timezone.utc)


_SCHEDULE_STATE = """
query AirliftDecommissionScheduleState {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        schedules {
          name
          scheduleState {
            id
            status
            typeSpecificData { __typename ... on ScheduleData { startTimestamp } }
          }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

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


def count_ticks_from_now(client: DagsterClient, schedule: str) -> datetime:
    """The moment from which Dagster counts ``schedule``'s ticks, made no later than now.

    A schedule running by default has no stored state until the daemon first
    evaluates it (on a minute boundary, up to a minute after it takes up new
    code), and counts its ticks from then: a first tick before that would run
    nowhere. Stopping and starting it stores a running state that counts from
    now, so the daemon runs every tick after it, catching up if it is late.
    An already stored start is kept.
    """
    doing = f"start counting the ticks of schedule {schedule!r}"
    data = client.graphql(_SCHEDULE_STATE, fields=["repositoriesOrError"])
    result = client._result(data, "repositoriesOrError", "RepositoryConnection", doing)

    def find() -> tuple[dict[str, str], str, Any]:
        for node in result["nodes"]:
            for found in node["schedules"]:
                if found["name"] == schedule:
                    state = found["scheduleState"]
                    selector = {
                        "repositoryLocationName": node["location"]["name"],
                        "repositoryName": node["name"],
                        "scheduleName": schedule,
                    }
                    start = state["typeSpecificData"].get("startTimestamp")
                    return selector, state["id"], start
        raise KeyError(schedule)

    selector, state_id, start = client._parsed(doing, find)
    if start is not None:
        return _instant(start)
    stopped = client.graphql(_STOP, {"id": state_id}, fields=["stopRunningSchedule"])
    client._result(stopped, "stopRunningSchedule", "ScheduleStateResult", doing)
    started = client.graphql(_START, {"selector": selector}, fields=["startSchedule"])
    state = client._result(started, "startSchedule", "ScheduleStateResult", doing)
    return client._parsed(
        doing,
        lambda: _instant(state["scheduleState"]["typeSpecificData"]["startTimestamp"]),
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


def sensor_first_tick(client: DagsterClient, sensor: str) -> datetime | None:
    """The time of ``sensor``'s latest tick, or ``None`` while the daemon has not ticked it."""
    doing = f"read the ticks of sensor {sensor!r}"
    data = client.graphql(_SENSOR_TICKS, fields=["repositoriesOrError"])
    result = client._result(data, "repositoriesOrError", "RepositoryConnection", doing)

    def parse() -> datetime | None:
        for node in result["nodes"]:
            for found in node["sensors"]:
                if found["name"] == sensor:
                    ticks = found["sensorState"]["ticks"]
                    return _instant(ticks[0]["timestamp"]) if ticks else None
        return None

    return client._parsed(doing, parse)
