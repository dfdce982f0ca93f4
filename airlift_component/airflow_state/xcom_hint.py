"""Warn before a proxied TaskFlow task hands ``None`` to the tasks after it.

A proxied task returns only what its Dagster run hands back (the
materialization metadata entry ``airlift/xcom_return_value``; None without it),
so a TaskFlow task whose downstream tasks take its return value breaks them
once proxied. Inside Airflow the proxy knows exactly who reads the XCom and says
so at parse time (:mod:`airflow_side.xcom_use`). `airlift proxy on` and
`airlift validate` cannot import Airflow; they read the stored Airflow state
(what the last `airlift refresh` or ``dg utils refresh-defs-state`` saw) and
warn when a proxied task is a TaskFlow task (``@task``, ``@task.virtualenv``,
...) with downstream tasks: with TaskFlow, passing a task's result to another
task is what makes that task downstream, so its downstream tasks are the ones
that may read it.

What this says nothing about, rather than guess: a DAG or task the state file
does not have (no state file, a DAG whose tasks were not fetched, a task added
since the refresh), a classic operator, a branch or short-circuit task (their
downstream tasks are the branches), and a task the state already shows as the
proxy operator (refreshed after the flip: its original operator is not in the
state; Airflow's own parse-time warning covers it). Never calls Airflow.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from airlift_component.config.problems import Problem, one_line
from airlift_component.config.validation.real_paths import RealPaths
from airlift_component.errors import AirliftError, ConfigError

# What needs pydantic is imported where it is used: `airlift validate` reads a
# stored state only when there is one, and its verdict cache needs none of it.
if TYPE_CHECKING:
    from airlift_component.airflow_api.types import AirflowTask
    from airlift_component.airflow_state.state import AirflowState
    from airlift_component.airflow_state.state_file import AirliftStateFile
    from airlift_component.config.proxied_state.file import ProxiedStateDir
    from airlift_component.config.validation.validate import ValidationResult

#: The ``rule`` of the warning (``airlift validate --format json``).
RULE = "xcom-consumers"
#: The metadata entry a Dagster asset hands the task's return value back with.
XCOM_RETURN_VALUE_ENTRY = "airlift/xcom_return_value"
DOCS = "docs/airflow-side.md, 'Return values (XCom)'"

# How Airflow's REST API names a TaskFlow task: ``operator_name`` is the
# decorator ("@task", "@task.virtualenv"); a class name ends in "DecoratedOperator"
# ("_PythonDecoratedOperator") where only the class is reported.
_DECORATOR_PREFIX = "@task"
_CLASS_SUFFIX = "DecoratedOperator"
# Their return value picks the branch to follow; the downstream tasks are the branches.
_CONTROL_FLOW = ("branch", "short_circuit", "shortcircuit")


def is_taskflow(operator: str | None) -> bool:
    """True for a TaskFlow task whose return value later tasks may take as arguments."""
    if not operator:
        return False
    if not (operator.startswith(_DECORATOR_PREFIX) or operator.endswith(_CLASS_SUFFIX)):
        return False
    lowered = operator.lower()
    return not any(word in lowered for word in _CONTROL_FLOW)


def hint_for(path: str, line: int, dag_id: str, task: AirflowTask) -> Problem | None:
    """The warning for one proxied task, or ``None`` when there is nothing to say."""
    if not (is_taskflow(task.operator) and task.downstream_task_ids):
        return None
    readers = sorted(task.downstream_task_ids)
    listed = ", ".join(readers)
    verb = "runs" if len(readers) == 1 else "run"
    message = (
        f"task {task.task_id!r} of DAG {dag_id!r} is a TaskFlow task ({task.operator}) "
        f"proxied to Dagster; {listed} {verb} after it and may read its return value "
        "(XCom), and a proxied task returns only what its Dagster asset hands back "
        "(None without it)"
    )
    hint = (
        f"hand the value back as the materialization metadata entry "
        f"{XCOM_RETURN_VALUE_ENTRY!r} of one of the task's assets; see {DOCS}"
    )
    return Problem(path, line, 1, message, hint=hint, rule=RULE)


def hints_for_dag(
    state: AirflowState | None, dag_id: str, task_lines: Mapping[str, int], path: str
) -> list[Problem]:
    """Warnings for the proxied tasks ``task_lines`` (task id -> line in ``path``) of a DAG."""
    dag = state.dags.get(dag_id) if state is not None else None
    if dag is None or dag.tasks is None:
        return []
    found = []
    for task_id, line in task_lines.items():
        task = dag.task(task_id)
        hint = hint_for(path, line, dag_id, task) if task is not None else None
        if hint is not None:
            found.append(hint)
    return found


def format_warning(problem: Problem) -> str:
    """``path:line:col: warning: message (hint)``, always one line."""
    text = f"{problem.path}:{problem.line}:{problem.col}: warning: {problem.message}"
    if problem.hint:
        text += f" ({problem.hint})"
    return one_line(text)


def stored_state(airlift_yaml: Path) -> AirliftStateFile | None:
    """The stored Airflow state of ``airlift_yaml`` where `airlift refresh` writes it;
    ``None`` when there is none or it cannot be read (a hint never guesses)."""
    from airlift_component.airflow_state.state_location import refresh_targets

    try:
        paths = refresh_targets(airlift_yaml).paths
    except (AirliftError, OSError, ValueError):
        return None
    paths = [path for path in paths if os.path.exists(path)]
    if not paths:  # what follows imports pydantic, and there is nothing to read
        return None
    from airlift_component.airflow_state.state import StateFileError
    from airlift_component.airflow_state.state_file import read_state_file

    for path in paths:
        try:
            state = read_state_file(path)
        except (StateFileError, OSError):
            continue
        if state is not None:
            return state
    return None


def proxy_on_hints(
    airlift_yaml: Path, instance: str, dag_id: str, task_lines: Mapping[str, int], path: str
) -> list[Problem]:
    """Warnings for the tasks `airlift proxy on` just proxied (task id -> line in ``path``)."""
    stored = stored_state(airlift_yaml)
    if stored is None:
        return []
    return hints_for_dag(stored.instances.get(instance), dag_id, task_lines, path)


@dataclass(frozen=True)
class HintSource:
    """An ``airlift.yaml`` whose proxied tasks `airlift validate` may warn about."""

    path: Path
    #: (instance name, its ``proxied_state_dir``) for each instance that sets one.
    state_dirs: tuple[tuple[str, str], ...]
    #: Validation checked it; else validation found it for the proxied-state files
    #: named on the command line, and only those are warned about.
    named: bool


def hint_sources(result: ValidationResult) -> list[HintSource]:
    """The ``airlift.yaml`` files of a validation result to pair with stored state:
    those checked because their name says what they are, then (when proxied-state
    files were named) those validation found for them."""
    sources: dict[str, HintSource] = {}
    named_states = bool(result.state_files)
    for checked, named in [
        *((checked, True) for checked in result.airlift_files if checked.by_name),
        *((checked, False) for checked in result.found_airlift_files if named_states),
    ]:
        dirs = tuple(
            (instance.name, instance.proxied_state_dir)
            for instance in checked.summary.instances
            if instance.proxied_state_dir is not None
        )
        sources.setdefault(os.path.realpath(checked.path), HintSource(checked.path, dirs, named))
    return list(sources.values())


def validate_hints(result: ValidationResult) -> list[Problem]:
    """Warnings for `airlift validate`, from what
    :func:`~airlift_component.config.validation.validate.validate_paths` read, in file order.

    Each ``airlift.yaml`` it checked is paired with its stored state and every
    proxied task of its instances' ``proxied_state_dir``; proxied-state files named
    without their ``airlift.yaml`` are paired with the one validation found for them.
    Only the stored state is read here.
    """
    return hints_for_sources(hint_sources(result), result.state_files, result.state_dirs)


def hints_for_sources(
    sources: Iterable[HintSource],
    state_files: Sequence[Path],
    read: Mapping[Path, ProxiedStateDir],
) -> list[Problem]:
    """The warnings for ``sources`` (see :func:`hint_sources`); ``state_files``: the
    proxied-state files named on the command line; ``read``: the proxied-state
    folders already read, by the path they were read under (others are read here,
    and only when there is a stored state to compare them with)."""
    real = RealPaths()  # the named files are in few folders: each resolved once
    named_states: set[str] | None = None  # worked out once there is a stored state
    found: dict[Problem, None] = {}
    for source in sources:
        stored = stored_state(source.path)
        if stored is None:
            continue
        if named_states is None:
            named_states = {real(path) for path in state_files}
        for instance, states in _instance_dirs(source, read):
            for state in states.states.values():
                if state.dag_level or not (source.named or real(state.path) in named_states):
                    continue
                # Spelled through this airlift.yaml's folder: validation may have read the
                # file first under the spelling it was named with.
                path = os.path.normpath(states.directory / Path(state.path).name)
                for hint in hints_for_dag(
                    stored.instances.get(instance),
                    state.dag_id,
                    {task: state.task_lines.get(task, 1) for task in state.proxied_tasks},
                    path,
                ):
                    found.setdefault(hint, None)
    return sorted(found, key=lambda p: (p.path, p.line, p.col, p.message))


def _instance_dirs(
    source: HintSource, read: Mapping[Path, ProxiedStateDir]
) -> list[tuple[str, ProxiedStateDir]]:
    """Per instance that sets ``proxied_state_dir``, its folder: as validation read it,
    else read here; left out when it cannot be read (the validator reports that)."""
    found = []
    for instance, folder in source.state_dirs:
        directory = source.path.parent / folder
        states = read.get(directory)
        if states is None:
            try:
                states = read_proxied_state_dir(directory)
            except ConfigError:
                continue
        found.append((instance, states))
    return found


def read_proxied_state_dir(directory: Path) -> ProxiedStateDir:
    """The proxied-state folder, read by the format's one reader (imported on use)."""
    from airlift_component.config.proxied_state import file

    return file.read_proxied_state_dir(directory)
