"""The ``AirliftComponent``: Airflow DAGs and their assets in a Dagster code location."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from airlift_component.airflow_state.fetch import DEFAULT_CACHE_DIR, DEFAULT_TTL_SECONDS
from airlift_component.component.defs_builder import build_defs


class AirliftComponent(dg.Component, dg.Model, dg.Resolvable):
    """Observe Airflow DAGs in Dagster, and migrate them task by task.

    Point it at an ``airlift.yaml`` next to this ``defs.yaml``::

        type: airlift_component.component.AirliftComponent
        attributes:
          airlift_yaml: airlift.yaml     # relative to this folder
          instances: [analytics]         # optional: only these instances
          cache_ttl_seconds: 3600        # optional

    **What it defines, per Airflow instance** (merged into one ``Definitions``):

    * one asset per peered DAG, key ``<instance>/dag/<dag_id>``, kinds
      ``airflow`` and ``dag``, with the DAG's URL in Airflow (metadata
      ``airlift/dag_url``), description, owners (those that are e-mails or
      ``team:`` names; all of them in metadata ``airflow/owners``) and tags;
      it depends on the DAG's leaf mapped assets (the assets of mapped tasks with
      no mapped task downstream) and on the DAG-level assets; a mapped DAG's
      asset also lists each mapped task's asset keys in the JSON metadata
      ``airlift/task_assets``, which the proxy operators read to find them;
    * every asset mapped in ``airlift.yaml`` with its deps, group, owners, kinds,
      tags, description, metadata and time partitions. Without explicit ``deps``
      a task's assets depend on the assets of the nearest mapped tasks upstream
      in the Airflow task graph (unmapped tasks in between are looked through);
    * the sensor ``airlift_<instance>_sensor`` recording Airflow runs as
      materializations, exactly once (see below).

    Two instances may peer DAGs with the same id: every DAG key starts with
    the instance name.

    **How an asset records where it comes from.** Every mapped asset carries the
    tags ``airlift/instance: <instance>``, ``airlift/dag: <instance>.<dag_id>``
    and, for task assets, ``airlift/task: <instance>.<dag_id>.<task_id>``, and
    the metadata ``airlift/instance``, ``airlift/dag_id``, ``airlift/task_id``
    with the exact ids. The Airflow side finds a task's assets through the DAG
    asset's ``airlift/task_assets`` index, and by ``airlift/task`` without one.
    Values over Dagster's 63-character limit are shortened with a hash
    (:func:`airlift_component.mapping_tags.task_tag_value` computes them).

    **Executable assets (migration).** ``code: package.module:attr`` on a mapped
    asset names an ``@asset`` / ``@multi_asset`` that computes the key; it is
    used instead of the bare spec, with the mapping tags and metadata merged in.
    Keys computed by *other* components of the same code location (for example
    a dbt component) would be defined twice; list those components' folders in
    ``defer_to`` (paths relative to the ``defs`` folder) and no spec is emitted
    for the keys they define. Dagster refuses two definitions of one key, even a
    bare spec and an executable asset, so this is required. Add the mapping tags
    to those assets with the other component's ``post_processing`` so the Airflow
    side finds them.

    **Airflow state cache.** The DAG list, the tasks of mapped DAGs and the API
    version are read from ``<cache_dir>/<instance>.json`` (default
    ``.airlift/cache`` next to ``airlift.yaml``): loading the code location makes
    no REST call while the cache is younger than ``cache_ttl_seconds`` and the
    instance's settings are unchanged. ``airlift refresh`` rewrites it. When
    Airflow cannot be reached the cache is used whatever its age, with a
    warning; with no cache the load fails with an error naming the URL.

    **Sensor.** Each tick asks Airflow for the runs that finished since the
    cursor, then for their task instances, in batches (``sensor.batch_size``
    runs per request). A successful task that is not proxied materializes its
    assets; a successful run also materializes the DAG-level assets (unless the
    whole DAG is proxied) and the DAG asset. Proxied tasks are skipped because
    they materialize in Dagster itself; the sensor learns which are proxied from
    ``proxied_state_dir`` when set, else from operator class names ending in
    ``ProxyTaskToDagsterOperator`` / ``ProxyDAGToDagsterOperator``. Each
    materialization carries ``airflow/run_id``, ``airflow/logical_date``,
    ``airflow/run_url``, ``airflow/start_date``, ``airflow/end_date`` (task
    assets also ``airflow/task_id``, ``airflow/try_number`` and the task's
    times); partitioned assets get the partition containing the logical date.
    The cursor keeps the latest end date recorded and the runs recorded in the
    10 minutes before it, so no run is recorded twice or skipped across
    restarts and runs finishing out of order. When Airflow is down the tick is
    skipped with the error as its reason and the cursor does not move. A mapped
    task missing from a run (renamed or removed) logs a warning naming the DAG.
    """

    airlift_yaml: str = Field(
        default="airlift.yaml",
        description="Path of airlift.yaml, relative to the folder of this defs.yaml.",
    )
    instances: list[str] | None = Field(
        default=None, description="Only build these instances (default: all of the file)."
    )
    cache_dir: str | None = Field(
        default=None,
        description=f"Folder of the Airflow state cache, relative to airlift.yaml "
        f"(default: {DEFAULT_CACHE_DIR}).",
    )
    cache_ttl_seconds: float | None = Field(
        default=DEFAULT_TTL_SECONDS,
        description="Age after which the cache is refetched at load; null: only by `airlift refresh`.",
    )
    defer_to: list[str] = Field(
        default_factory=list,
        description="Folders (relative to the defs folder) of components whose assets take "
        "precedence: no spec is emitted for keys they define.",
    )

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        base = context.path if context.path.is_dir() else context.path.parent
        elsewhere: set[dg.AssetKey] = set()
        for folder in self.defer_to:
            elsewhere |= set(context.build_defs(Path(folder)).resolve_all_asset_keys())
        return build_defs(
            base / self.airlift_yaml,
            instances=self.instances,
            cache_dir=self.cache_dir or None,
            cache_ttl_seconds=self.cache_ttl_seconds,
            defined_elsewhere=elsewhere,
        )
