"""The cross-file rules: proxied-state files agree with ``airlift.yaml``.

For every instance that sets ``proxied_state_dir`` (relative to airlift.yaml):
the folder exists, every file in it names a DAG the instance maps, a DAG proxied
as a whole has assets mapped, and so does every task marked ``proxied: true``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from airlift_component.config.airlift_model import AirliftFile, DagMapping, Instance
from airlift_component.config.problems import Problem
from airlift_component.config.proxied_state import ProxiedStateDir, read_proxied_state_dir
from airlift_component.config.yaml_read import YamlDocument
from airlift_component.errors import ConfigError


def check_against_proxied_state(
    doc: YamlDocument,
    model: AirliftFile,
    *,
    read_dir: Callable[[Path], ProxiedStateDir] = read_proxied_state_dir,
) -> list[Problem]:
    """Cross-file rules for every instance that sets ``proxied_state_dir``.

    ``read_dir`` reads a proxied-state folder; the validator passes a caching reader
    so that files it also checks directly are read (and reported) once.
    """
    base = Path(doc.path).parent
    problems: list[Problem] = []
    for i, instance in enumerate(model.instances):
        if instance.proxied_state_dir is None:
            continue
        directory = base / instance.proxied_state_dir
        if not directory.is_dir():
            problems.append(
                doc.problem(
                    ("instances", i, "proxied_state_dir"),
                    f"proxied-state folder {str(directory)!r} not found",
                    hint="fix the path; it is relative to airlift.yaml",
                    rule="cross-file",
                )
            )
            continue
        try:
            states = read_dir(directory)
        except ConfigError as exc:  # the folder cannot be listed
            problems.extend(exc.problems)
            continue
        problems.extend(states.all_problems())
        mappings: dict[str, DagMapping] = {}
        for mapping in instance.mappings:
            mappings.setdefault(mapping.dag, mapping)
        for dag_id, state in states.states.items():
            problems.extend(
                _cross_file_problems(instance, mappings.get(dag_id), dag_id, state.path, state)
            )
    return problems


def _cross_file_problems(
    instance: Instance, mapping: DagMapping | None, dag_id: str, path: str, state: Any
) -> list[Problem]:
    if mapping is None:
        return [
            Problem(
                path,
                1,
                1,
                f"DAG {dag_id!r} is not mapped in airlift.yaml (instance {instance.name!r})",
                hint=f"add '- dag: {dag_id}' under the instance's mappings, or delete this file",
                rule="cross-file",
            )
        ]
    problems = []
    has_assets = bool(mapping.assets) or any(task.assets for task in mapping.tasks)
    if state.proxied and not has_assets:
        problems.append(
            Problem(
                path,
                1,
                1,
                f"DAG {dag_id!r} is proxied but has no assets mapped in airlift.yaml",
                hint="map its assets first, or set proxied: false",
                rule="cross-file",
            )
        )
    mapped_tasks = {task.task for task in mapping.tasks if task.assets}
    for task_id in state.proxied_tasks:
        if task_id not in mapped_tasks:
            line = state.task_lines.get(task_id, 1)
            problems.append(
                Problem(
                    path,
                    line,
                    1,
                    f"task {task_id!r} is proxied but has no assets mapped in airlift.yaml",
                    hint=f"map assets for '{dag_id}.{task_id}' first, or set proxied: false",
                    rule="cross-file",
                )
            )
    return problems
