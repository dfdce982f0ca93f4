"""The per-DAG proxied-state files: ``proxied_state/<dag_id>.yaml``.

The format is dagster-airlift's, so teams can switch either way::

    tasks:                 # task level: these tasks run in Dagster when proxied
      - id: load_raw
        proxied: true
      - id: transform
        proxied: false

or, for the whole DAG, just ``proxied: true``. A file sets exactly one of the two.
This module is the only reader of the format: the validator, the CLI and the
Airflow side all use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airlift_component.config.ids import TASK_ID_PATTERN
from airlift_component.config.problems import Problem
from airlift_component.config.yaml.read import YamlDocument, YamlLoadError, load_yaml_file
from airlift_component.errors import ConfigError

if TYPE_CHECKING:
    from airlift_component.config.proxied_state.model import ProxiedStateFile

WHAT = "a proxied-state file"
SUFFIXES = (".yaml", ".yml")
#: ``TASK_ID_PATTERN`` as the models' validator matches it (``$``: only at the end).
_TASK_ID = re.compile(TASK_ID_PATTERN.removeprefix("^").removesuffix("$"))


def __getattr__(name: str) -> Any:
    """The models (:mod:`.model`), imported on first use: a valid file in the usual
    shape is read without pydantic."""
    if name in ("ProxiedStateFile", "TaskProxiedState"):
        from airlift_component.config.proxied_state import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class DagProxiedState:
    """The proxied state of one DAG, as the Airflow side and the component use it."""

    dag_id: str
    proxied: bool | None = None
    tasks: Mapping[str, bool] = field(default_factory=dict)
    path: str = ""
    task_lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dag_level(self) -> bool:
        """True when the file uses the DAG-level form (``proxied: <bool>``)."""
        return self.proxied is not None

    def is_task_proxied(self, task_id: str) -> bool:
        return bool(self.tasks.get(task_id, False))

    @property
    def proxied_tasks(self) -> list[str]:
        return [task for task, proxied in self.tasks.items() if proxied]


def check_document(doc: YamlDocument) -> tuple[ProxiedStateFile | None, list[Problem]]:
    """Validate a parsed proxied-state file; problems carry line and column."""
    from pydantic import ValidationError

    from airlift_component.config.model_errors import problems_from_validation_error
    from airlift_component.config.proxied_state.model import ProxiedStateFile

    try:
        model = ProxiedStateFile.model_validate(doc.data)
    except ValidationError as exc:
        return None, problems_from_validation_error(doc, exc, ProxiedStateFile)
    problems: list[Problem] = []
    if model.tasks is not None and model.proxied is not None:
        problems.append(
            doc.problem(
                ("proxied",),
                "sets both 'tasks' and a DAG-level 'proxied'",
                hint="keep 'tasks' to proxy task by task, or 'proxied' to proxy the whole DAG",
                key=True,
            )
        )
    elif model.tasks is None and model.proxied is None:
        problems.append(
            doc.problem(
                (),
                "sets neither 'tasks' nor 'proxied'",
                hint="add 'tasks: [{id: ..., proxied: false}]' or 'proxied: false'",
            )
        )
    seen: dict[str, int] = {}
    for index, task in enumerate(model.tasks or []):
        if task.id in seen:
            first_line = doc.position(("tasks", seen[task.id], "id"))[0]
            problems.append(
                doc.problem(
                    ("tasks", index, "id"),
                    f"task {task.id!r} is listed twice (first on line {first_line})",
                    hint="keep one entry per task",
                    rule="duplicate-task-id",
                )
            )
        else:
            seen[task.id] = index
    return (None if problems else model), problems


def dag_id_for(path: Path) -> str:
    """The DAG a proxied-state file belongs to: its name without the suffix."""
    return path.stem


def read_proxied_state_file(path: Path) -> tuple[DagProxiedState | None, list[Problem]]:
    """Read and check one file; returns the state or the problems found."""
    try:
        doc = load_yaml_file(path, what=WHAT)
    except YamlLoadError as exc:
        return None, [exc.problem]
    return state_from_document(doc, dag_id_for(path))


def state_from_document(
    doc: YamlDocument, dag_id: str
) -> tuple[DagProxiedState | None, list[Problem]]:
    """Check a parsed proxied-state file; returns the DAG's state or the problems found."""
    usual = _usual_state(doc, dag_id)
    if usual is not None:
        return usual, []
    return _checked_state(doc, dag_id)


def _checked_state(doc: YamlDocument, dag_id: str) -> tuple[DagProxiedState | None, list[Problem]]:
    """:func:`state_from_document` through the models."""
    model, problems = check_document(doc)
    if model is None:
        return None, problems
    tasks = {task.id: task.proxied for task in model.tasks or []}
    lines = {
        task.id: doc.position(("tasks", index, "id"))[0]
        for index, task in enumerate(model.tasks or [])
        if task.proxied
    }
    return DagProxiedState(dag_id, model.proxied, tasks, doc.path, lines), []


def _usual_state(doc: YamlDocument, dag_id: str) -> DagProxiedState | None:
    """The state of a valid file in the usual shape (``tasks`` of distinct valid ids
    with ``true`` or ``false``, or ``proxied: true|false`` alone), as the models
    would give it; ``None`` for anything else, which :func:`check_document` judges.

    Every ``airlift validate`` that reads a proxied-state file would otherwise import
    pydantic and build the models (0.08 s CPU, the largest part of an edited run in
    ``bench/bench_validate.py``); a cold run saves their validation too.
    """
    data = doc.data
    if len(data) != 1:
        return None
    tasks = data.get("tasks")
    if tasks is None:
        proxied = data.get("proxied")
        return DagProxiedState(dag_id, proxied, {}, doc.path, {}) if type(proxied) is bool else None
    if type(tasks) is not list:
        return None
    states: dict[str, bool] = {}
    match = _TASK_ID.fullmatch
    for task in tasks:
        if type(task) is not dict or len(task) != 2:
            return None
        task_id, proxied = task.get("id"), task.get("proxied")
        if type(task_id) is not str or type(proxied) is not bool or task_id in states:
            return None
        if match(task_id) is None:
            return None
        states[task_id] = proxied
    lines = {
        task_id: doc.position(("tasks", index, "id"))[0]
        for index, (task_id, proxied) in enumerate(states.items())
        if proxied
    }
    return DagProxiedState(dag_id, None, states, doc.path, lines)


def iter_state_files(directory: Path, only: Collection[str] | None = None) -> Iterator[Path]:
    """The proxied-state files in ``directory``, sorted by name (with ``only``: those
    of these file names)."""
    for path in sorted(directory.iterdir()):
        if (only is None or path.name in only) and path.suffix in SUFFIXES and path.is_file():
            yield path


@dataclass
class ProxiedStateDir:
    """All proxied-state files of one folder; broken files are kept apart per DAG,
    so one broken file only affects its own DAG."""

    directory: Path
    states: dict[str, DagProxiedState] = field(default_factory=dict)
    problems: dict[str, list[Problem]] = field(default_factory=dict)

    def get(self, dag_id: str) -> DagProxiedState | None:
        """The DAG's state, ``None`` when it has no file; :class:`ConfigError` when broken."""
        if dag_id in self.problems:
            raise ConfigError(self.problems[dag_id])
        return self.states.get(dag_id)

    def all_problems(self) -> list[Problem]:
        return [problem for problems in self.problems.values() for problem in problems]


StateReader = Callable[[Path], tuple[DagProxiedState | None, list[Problem]]]


def read_proxied_state_dir(
    directory: Path,
    *,
    read_file: StateReader | None = None,
    only: Collection[str] | None = None,
) -> ProxiedStateDir:
    """Read every ``*.yaml`` / ``*.yml`` in ``directory`` (with ``only``: those of
    these file names).

    A missing or unreadable folder raises :class:`ConfigError`; problems in single files are
    collected in :attr:`ProxiedStateDir.problems`, keyed by DAG id. ``read_file``
    replaces :func:`read_proxied_state_file` (the validator passes a caching one).
    """
    read_file = read_file or read_proxied_state_file
    if not directory.is_dir():
        raise ConfigError(
            [
                Problem(
                    str(directory),
                    1,
                    1,
                    "proxied-state folder not found",
                    hint="create it, or fix the path (it holds one <dag_id>.yaml per DAG)",
                )
            ]
        )
    result = ProxiedStateDir(directory)
    try:
        paths = list(iter_state_files(directory, only))
    except OSError as exc:
        raise ConfigError(
            [
                Problem(
                    str(directory),
                    1,
                    1,
                    f"cannot read the proxied-state folder: {exc.strerror or exc}",
                    hint="check its permissions: the user running this must be able to list it",
                )
            ]
        ) from None
    for path in paths:
        state, problems = read_file(path)
        dag_id = dag_id_for(path)
        if state is not None:
            result.states[dag_id] = state
        else:
            result.problems[dag_id] = problems
    return result
