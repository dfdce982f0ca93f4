"""The tags and metadata that record which Airflow DAG and task an asset belongs to.

These names are a public contract: the Airflow side finds the Dagster assets of
a task with a targeted query on :data:`TASK_TAG`, and users can select them in
Dagster (``tag:airlift/dag=analytics.customers``). This module imports no
Dagster, so the Airflow side can use :func:`task_tag_value` to compute the value
it looks for.

* the DAG asset's key is ``[<instance>, "dag", <dag_id>]`` (:func:`dag_asset_key`)
* ``airlift/instance`` = ``<instance>``
* ``airlift/dag`` = ``<instance>.<dag_id>`` on every asset of a DAG (the DAG asset,
  DAG-level assets and task assets)
* ``airlift/task`` = ``<instance>.<dag_id>.<task_id>`` on the assets of a task
* ``airlift/task_assets`` (JSON metadata on the DAG asset): the asset keys of each
  mapped task and of the DAG itself, see :func:`task_assets_index`; the Airflow
  side reads it to find a proxied task's assets in two queries

Dagster limits tag values to 63 characters of ``A-Z a-z 0-9 _ - .``. Ids are
already in that alphabet; a value longer than 63 characters is shortened to its
first 46 characters, ``-`` and the first 16 hex digits of its SHA-1, so both
sides still compute the same value. Since ids may contain dots, a tag match is
confirmed with the metadata entries ``airlift/instance``, ``airlift/dag_id`` and
``airlift/task_id``, which always hold the exact ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

INSTANCE_TAG = "airlift/instance"
DAG_TAG = "airlift/dag"
TASK_TAG = "airlift/task"

INSTANCE_METADATA = "airlift/instance"
DAG_ID_METADATA = "airlift/dag_id"
TASK_ID_METADATA = "airlift/task_id"

TASK_ASSETS_METADATA = "airlift/task_assets"

#: Tags on the Dagster run a proxied Airflow task launches: which Airflow task
#: instance try it stands for. The Airflow side writes them; the sensor reads them
#: to tell which tries ran in Dagster.
AIRFLOW_INSTANCE_TAG = "airlift/airflow_instance"
AIRFLOW_DAG_TAG = "airlift/airflow_dag_id"
AIRFLOW_RUN_TAG = "airlift/airflow_run_id"
AIRFLOW_TASK_TAG = "airlift/airflow_task_id"
AIRFLOW_TRY_TAG = "airlift/airflow_try_number"
#: The Airflow UI page of that task instance (no userinfo), the way back from Dagster.
TASK_INSTANCE_URL_TAG = "airlift/airflow_task_instance_url"

#: Tags on a run that a decommissioned DAG's Dagster schedule launches: the logical
#: date and data interval (ISO 8601, UTC) Airflow would have given the same run.
LOGICAL_DATE_TAG = "airlift/logical_date"
DATA_INTERVAL_START_TAG = "airlift/data_interval_start"
DATA_INTERVAL_END_TAG = "airlift/data_interval_end"

MAX_TAG_VALUE = 63


def dag_asset_key(instance: str, dag_id: str) -> tuple[str, str, str]:
    """The key path of the asset standing for ``dag_id`` of the Airflow ``instance``."""
    return (instance, "dag", dag_id)


def tag_value(*parts: str) -> str:
    """Join ids with ``.``, shortened with a hash when Dagster's 63-character limit is hit."""
    value = ".".join(parts)
    if len(value) <= MAX_TAG_VALUE:
        return value
    digest = hashlib.sha1(value.encode()).hexdigest()[:16]
    return f"{value[: MAX_TAG_VALUE - 17]}-{digest}"


def dag_tag_value(instance: str, dag_id: str) -> str:
    """The value of :data:`DAG_TAG` for a DAG of an instance."""
    return tag_value(instance, dag_id)


def task_tag_value(instance: str, dag_id: str, task_id: str) -> str:
    """The value of :data:`TASK_TAG` for a task: what the Airflow side queries by."""
    return tag_value(instance, dag_id, task_id)


def mapping_tags(instance: str, dag_id: str, task_id: str | None = None) -> dict[str, str]:
    """The tags recording where an asset comes from in Airflow."""
    tags = {INSTANCE_TAG: instance, DAG_TAG: dag_tag_value(instance, dag_id)}
    if task_id is not None:
        tags[TASK_TAG] = task_tag_value(instance, dag_id, task_id)
    return tags


def mapping_metadata(instance: str, dag_id: str, task_id: str | None = None) -> dict[str, str]:
    """The metadata entries holding the exact instance, DAG and task ids."""
    metadata = {INSTANCE_METADATA: instance, DAG_ID_METADATA: dag_id}
    if task_id is not None:
        metadata[TASK_ID_METADATA] = task_id
    return metadata


def task_assets_index(
    tasks: Mapping[str, Sequence[Sequence[str]]], dag_level: Sequence[Sequence[str]]
) -> dict[str, object]:
    """The value of :data:`TASK_ASSETS_METADATA`: ``{"tasks": {task_id: [key, ...]},
    "dag": [key, ...]}``, each key a list of path components. ``dag`` holds the assets
    mapped to the DAG as a whole (materialized when its run succeeds)."""
    return {
        "tasks": {task: [list(key) for key in keys] for task, keys in tasks.items()},
        "dag": [list(key) for key in dag_level],
    }
