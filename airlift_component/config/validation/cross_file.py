"""The cross-file rules: proxied-state files agree with ``airlift.yaml``.

For every instance that sets ``proxied_state_dir`` (relative to airlift.yaml):
the folder exists and can be read, a DAG proxied as a whole has assets mapped,
and so does every task marked ``proxied: true``. A file that proxies nothing is
a normal state of a migration (`airlift scaffold` writes one per DAG, mapped or
not), so only a file that proxies something must name a DAG the instance maps.

:func:`mapped_assets_of` is the same knowledge for `airlift proxy on`, which
refuses to proxy what has no assets before it writes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from airlift_component.config.problems import Problem
from airlift_component.config.proxied_state.file import (
    DagProxiedState,
    ProxiedStateDir,
    read_proxied_state_dir,
)
from airlift_component.config.proxied_state.mapped_assets import MappedAssets
from airlift_component.config.validation.airlift_summary import instance_summary
from airlift_component.config.validation.result import CheckedAirlift
from airlift_component.errors import ConfigError

if TYPE_CHECKING:
    from airlift_component.config.airlift_yaml.model import Instance


def check_against_proxied_state(
    checked: CheckedAirlift,
    *,
    read_dir: Callable[[Path], ProxiedStateDir] = read_proxied_state_dir,
) -> list[Problem]:
    """Cross-file rules for every instance that sets ``proxied_state_dir``.

    ``read_dir`` reads a proxied-state folder; the validator passes a caching reader
    so that files it also checks directly are read (and reported) once.
    """
    base = checked.path.parent
    problems: list[Problem] = []
    for i, instance in enumerate(checked.summary.instances):
        if instance.proxied_state_dir is None:
            continue
        directory = base / instance.proxied_state_dir
        if not directory.is_dir():
            problems.append(
                checked.document().problem(
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
        assets = instance.mapped_assets(str(checked.path))
        for dag_id, state in states.states.items():
            problems.extend(_cross_file_problems(assets, dag_id, state))
    return problems


def mapped_assets_of(instance: Instance, config: str | Path) -> MappedAssets:
    """What ``instance`` of the airlift.yaml at ``config`` maps, for the proxied-state rules."""
    return instance_summary(instance).mapped_assets(config)


def _cross_file_problems(
    assets: MappedAssets, dag_id: str, state: DagProxiedState
) -> list[Problem]:
    path = state.path
    if not assets.is_mapped(dag_id):
        if not (state.proxied or state.proxied_tasks):
            return []  # peered, nothing migrated yet: what `airlift scaffold` writes
        line = min((state.task_lines.get(t, 1) for t in state.proxied_tasks), default=1)
        return [
            Problem(
                path,
                line,
                1,
                f"DAG {dag_id!r} proxies "
                f"{'the whole DAG' if state.proxied else 'tasks'} but is not mapped in "
                f"airlift.yaml (instance {assets.instance!r})",
                hint=f"add '- dag: {dag_id}' with its assets under the instance's mappings, "
                "or set proxied: false",
                rule="cross-file",
            )
        ]
    problems = []
    if state.proxied and not assets.dag_has_assets(dag_id):
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
    for task_id in assets.tasks_without_assets(dag_id, state.proxied_tasks):
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
