"""Reading Airflow's JSON (v1 and v2 shapes) into :mod:`.types` values.

Airflow 2 (``/api/v1``) and Airflow 3 (``/api/v2``) name a few fields
differently: a run's date is ``logical_date`` (older 2.x payloads only have
``execution_date``), a DAG's schedule is ``schedule_interval`` (v1) or
``timetable_summary`` (v2). Everything else is shared. A malformed record
raises :class:`ValueError` naming the field; the client turns it into an
:class:`~airlift_component.errors.AirflowApiError`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from airlift_component.airflow_api.types import (
    AirflowAsset,
    AirflowAssetEvent,
    AirflowDag,
    AirflowTask,
    DagRun,
    TaskInstance,
)
from airlift_component.redact import redact_uri


def parse_datetime(value: Any, field: str = "date") -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (UTC when no offset is given)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} is not a timestamp: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{field} is not an ISO 8601 timestamp: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_datetime(value: datetime) -> str:
    """A datetime as the ISO 8601 string Airflow accepts (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def _required_str(record: dict[str, Any], *names: str) -> str:
    for name in names:
        value = record.get(name)
        if isinstance(value, str) and value:
            return value
    raise ValueError(f"missing {' / '.join(names)}")


def _schedule(record: dict[str, Any]) -> str | None:
    summary = record.get("timetable_summary")
    if isinstance(summary, str):
        return summary
    interval = record.get("schedule_interval")
    if isinstance(interval, dict):
        value = interval.get("value")
        if isinstance(value, str):
            return value
    description = record.get("timetable_description")
    return description if isinstance(description, str) else None


def parse_dag(record: Any) -> AirflowDag:
    """One DAG object of ``GET /dags`` or ``GET /dags/{dag_id}``."""
    if not isinstance(record, dict):
        raise ValueError("a DAG is not an object")
    tags = tuple(
        str(tag["name"] if isinstance(tag, dict) else tag)
        for tag in record.get("tags") or []
        if tag is not None
    )
    owners = record.get("owners") or []
    return AirflowDag(
        dag_id=_required_str(record, "dag_id"),
        is_paused=bool(record.get("is_paused", False)),
        tags=tags,
        description=record.get("description"),
        fileloc=record.get("fileloc"),
        owners=tuple(str(o) for o in owners) if isinstance(owners, list) else (str(owners),),
        schedule=_schedule(record),
    )


def parse_task(record: Any) -> AirflowTask:
    """One task object of ``GET /dags/{dag_id}/tasks``."""
    if not isinstance(record, dict):
        raise ValueError("a task is not an object")
    class_ref = record.get("class_ref") or {}
    operator = record.get("operator_name") or (
        class_ref.get("class_name") if isinstance(class_ref, dict) else None
    )
    return AirflowTask(
        task_id=_required_str(record, "task_id"),
        downstream_task_ids=tuple(record.get("downstream_task_ids") or ()),
        operator=operator,
        is_mapped=bool(record.get("is_mapped") or False),
    )


def parse_dag_run(record: Any) -> DagRun:
    """One DAG run object; reads ``logical_date`` or, failing that, ``execution_date``."""
    if not isinstance(record, dict):
        raise ValueError("a DAG run is not an object")
    logical = record.get("logical_date") or record.get("execution_date")
    conf = record.get("conf")
    return DagRun(
        dag_id=_required_str(record, "dag_id"),
        run_id=_required_str(record, "dag_run_id", "run_id"),
        state=_required_str(record, "state"),
        logical_date=parse_datetime(logical, "logical_date"),
        start_date=parse_datetime(record.get("start_date"), "start_date"),
        end_date=parse_datetime(record.get("end_date"), "end_date"),
        run_type=record.get("run_type"),
        conf=conf if isinstance(conf, dict) else {},
        updated_at=parse_datetime(record.get("updated_at"), "updated_at"),
        data_interval_start=parse_datetime(
            record.get("data_interval_start"), "data_interval_start"
        ),
        data_interval_end=parse_datetime(record.get("data_interval_end"), "data_interval_end"),
    )


def parse_task_instance(record: Any) -> TaskInstance:
    """One task instance object of the task-instance batch endpoint."""
    if not isinstance(record, dict):
        raise ValueError("a task instance is not an object")
    map_index = record.get("map_index")
    return TaskInstance(
        dag_id=_required_str(record, "dag_id"),
        run_id=_required_str(record, "dag_run_id", "run_id"),
        task_id=_required_str(record, "task_id"),
        state=record.get("state"),
        start_date=parse_datetime(record.get("start_date"), "start_date"),
        end_date=parse_datetime(record.get("end_date"), "end_date"),
        try_number=int(record.get("try_number") or 0),
        map_index=int(map_index) if map_index is not None else -1,
        operator=_operator(record),
    )


def _operator(record: dict[str, Any]) -> str | None:
    """The recorded operator: ``operator`` (the class name, v1 and v2), else v2's
    ``operator_name`` (a custom display name when the operator sets one)."""
    for name in ("operator", "operator_name"):
        value = record.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _optional_int(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} is not an integer: {value!r}")
    return value


def parse_asset(record: Any) -> AirflowAsset:
    """One asset of ``GET /api/v2/assets`` or dataset of ``GET /api/v1/datasets``
    (``scheduled_dags`` on v2, ``consuming_dags`` on v1; ``aliases`` on both, the
    aliases it was emitted through). A URI's ``user:password@`` is removed here, for
    assets and their events alike, and so is one in a name or an alias name (an alias
    may be named with a URL), so none is stored or shown."""
    if not isinstance(record, dict):
        raise ValueError("an asset is not an object")
    uri = redact_uri(_required_str(record, "uri"))
    producing = tuple(
        (str(ref["dag_id"]), str(ref["task_id"]))
        for ref in record.get("producing_tasks") or ()
        if isinstance(ref, dict) and ref.get("dag_id") and ref.get("task_id")
    )
    scheduled = tuple(
        str(ref["dag_id"])
        for ref in record.get("scheduled_dags", record.get("consuming_dags")) or ()
        if isinstance(ref, dict) and ref.get("dag_id")
    )
    aliases = tuple(
        redact_uri(ref["name"])
        for ref in record.get("aliases") or ()
        if isinstance(ref, dict) and isinstance(ref.get("name"), str) and ref["name"]
    )
    name = record.get("name")
    return AirflowAsset(
        uri=uri,
        name=redact_uri(name) if isinstance(name, str) and name else uri,
        asset_id=_optional_int(record.get("id"), "id"),
        producing_tasks=tuple(sorted(set(producing))),
        scheduled_dags=tuple(sorted(set(scheduled))),
        aliases=tuple(sorted(set(aliases))),
    )


def parse_asset_event(record: Any) -> AirflowAssetEvent:
    """One event of ``GET /api/v2/assets/events`` or ``GET /api/v1/datasets/events``
    (``partition_key`` on Airflow 3.2+ only)."""
    if not isinstance(record, dict):
        raise ValueError("an asset event is not an object")
    event_id = _optional_int(record.get("id"), "id")
    if event_id is None:
        raise ValueError("missing id")
    timestamp = parse_datetime(record.get("timestamp"), "timestamp")
    if timestamp is None:
        raise ValueError("missing timestamp")
    extra = record.get("extra")
    map_index = _optional_int(record.get("source_map_index"), "source_map_index")
    name = record.get("name")
    return AirflowAssetEvent(
        event_id=event_id,
        uri=redact_uri(_required_str(record, "uri", "dataset_uri")),
        timestamp=timestamp,
        name=redact_uri(name) if isinstance(name, str) and name else None,
        asset_id=_optional_int(record.get("asset_id", record.get("dataset_id")), "asset_id"),
        source_dag_id=record.get("source_dag_id") or None,
        source_task_id=record.get("source_task_id") or None,
        source_run_id=record.get("source_run_id") or None,
        source_map_index=-1 if map_index is None else map_index,
        extra=extra if isinstance(extra, dict) else {},
        partition_key=_optional_str(record.get("partition_key"), "partition_key"),
    )


def _optional_str(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} is not a string: {value!r}")
    return value
