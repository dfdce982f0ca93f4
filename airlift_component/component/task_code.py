"""Tasks mapped to a whole asset definition in one line: ``code:`` (and ``select:``) on a task.

``- task: build_dbt_models`` with ``code: my_project.dbt:dbt_project_assets`` means
the task produces every key of that ``AssetsDefinition``, or those that the Dagster
asset selection ``select:`` picks from it. Once imported, such a task is the same
as one listing those keys, each with ``code:`` set: the rest of the component (the
specs, the sensor's index, the Airflow side's lookup) sees ordinary mapped keys.
Only DAGs with such a task are copied; a file without one costs nothing here.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from airlift_component.component.code_refs import CodeSite
from airlift_component.component.executable import load_code_ref
from airlift_component.config.airlift_yaml.model import (
    AssetSpecModel,
    DagMapping,
    Instance,
    TaskMapping,
)


def key_text(key: dg.AssetKey) -> str:
    """``key`` as ``airlift.yaml`` writes it (``a/b/c``)."""
    return "/".join(key.path)


def selected_keys(
    asset: dg.AssetsDefinition, task: TaskMapping, site: CodeSite
) -> list[dg.AssetKey]:
    """The keys of ``asset`` the task produces: all of them, or those ``select`` picks."""
    if task.select is None:
        return sorted(asset.keys)
    try:
        picked = dg.AssetSelection.from_string(task.select).resolve([asset])
    except Exception as exc:  # Dagster's parser raises several kinds
        raise site.problem(
            f"select {task.select!r} is not a Dagster asset selection ({exc})",
            hint='write a selection such as group:marts, key:"marts/*" or tag:nightly',
        ) from None
    keys = sorted(picked & set(asset.keys))
    if not keys:
        computed = ", ".join(key.to_user_string() for key in sorted(asset.keys))
        raise site.problem(
            f"select {task.select!r} picks none of the keys of {task.code!r} ({computed})",
            hint="widen the selection, or drop select: to map every key",
        )
    if len(keys) < len(asset.keys) and not asset.can_subset:
        raise site.problem(
            f"select {task.select!r} picks {len(keys)} of the {len(asset.keys)} keys of "
            f"{task.code!r}, which cannot run a part of itself: once the task is proxied its "
            "Dagster run would be refused",
            hint="make it subsettable (can_subset=True; @dbt_assets is), or drop select:",
        )
    return keys


def _expanded_task(
    task: TaskMapping,
    instance: str,
    dag: str,
    path: str,
    loaded: dict[str, dg.AssetsDefinition],
) -> TaskMapping:
    assert task.code is not None
    site = CodeSite(path, instance, dag, task.task)
    asset = loaded.get(task.code) or load_code_ref(task.code, site)
    loaded[task.code] = asset
    if task.select is not None:
        site = CodeSite(path, instance, dag, task.task, field="select")
    keys = selected_keys(asset, task, site)
    models = [AssetSpecModel.model_construct(key=key_text(key), code=task.code) for key in keys]
    return task.model_copy(update={"assets": models, "code": None, "select": None})


def expand_code_tasks(
    instance: Instance,
    dags: Sequence[str],
    path: str,
    loaded: dict[str, dg.AssetsDefinition],
) -> Instance:
    """``instance`` with each task of ``dags`` that is mapped by ``code:`` listing the
    keys it produces, each with that ``code:``. Imported asset definitions are kept in
    ``loaded`` by reference, so a reference used again is imported once."""
    wanted = set(dags)
    mappings: list[DagMapping] = []
    for mapping in instance.mappings:
        if mapping.dag in wanted:
            tasks = [
                _expanded_task(task, instance.name, mapping.dag, path, loaded)
                if task.code is not None
                else task
                for task in mapping.tasks
            ]
            mapping = mapping.model_copy(update={"tasks": tasks})
        mappings.append(mapping)
    return instance.model_copy(update={"mappings": mappings})
