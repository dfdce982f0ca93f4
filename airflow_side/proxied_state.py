"""Reading the proxied-state folder inside Airflow, with dagster-airlift's types.

The names and shapes match dagster-airlift's ``in_airflow.proxied_state``
(:class:`TaskProxiedState` with ``task_id``, :class:`DagProxiedState`,
:class:`AirflowProxiedState` with ``dags`` and ``from_dict``), so code and tests
written against it work after the import rename.

Files are read by :mod:`airlift_component.config.proxied_state.file`, the one reader of
the format (shared with ``airlift validate``). Airflow parses each DAG file on its
own, so a DAG reads only its own ``<dag_id>.yaml`` (reading the whole folder from
every DAG file would make parsing quadratic). A broken file only fails the DAG it
belongs to, with :class:`ProxiedStateParsingError` naming file, line and column;
Airflow shows it as that DAG file's import error.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from airlift_component.config.problems import Problem
from airlift_component.config.proxied_state.file import (
    SUFFIXES,
    ProxiedStateFile,
    read_proxied_state_dir,
    read_proxied_state_file,
)
from airlift_component.config.proxied_state.file import DagProxiedState as StateOfFile
from airlift_component.errors import AirliftError, ConfigError

#: dagster-airlift's words for a folder it cannot read; users' tests and alerts match them.
READING_PHRASE = "Error parsing proxied state yaml"


class ProxiedStateParsingError(ConfigError):
    """A proxied-state file (or dict) is malformed.

    A :class:`~airlift_component.errors.ConfigError`, so both dagster-airlift's
    name and this project's catch it; ``str()`` is ``path:line:col: message (hint)``,
    led by dagster-airlift's phrases where it has one (``Error parsing proxied
    state yaml`` for a folder or file, ``Expected 'proxied' key to be a boolean or
    None``...), so what matched its messages still matches.
    """

    def __init__(self, problems: Sequence[Problem] = (), message: str | None = None) -> None:
        self.problems = list(problems)
        AirliftError.__init__(self, message or "\n".join(p.format() for p in self.problems))

    @classmethod
    def reading(cls, problems: Sequence[Problem]) -> ProxiedStateParsingError:
        """The error for files that cannot be read, each problem led by the peer's phrase."""
        led = [
            dataclasses.replace(p, message=_with_peer_phrase(p.field, p.message)) for p in problems
        ]
        return cls(led, "\n".join(f"{READING_PHRASE}: {p.format()}" for p in led))


#: dagster-airlift's message for each kind of mistake, by where it is and what it is.
_PEER_PHRASES = (
    (re.compile(r"\$\.proxied"), "bool", "Expected 'proxied' key to be a boolean or None"),
    (re.compile(r"\$\.tasks\[\d+\]\.proxied"), "bool", "Expected 'proxied' key to be a boolean"),
    (
        re.compile(r"\$\.tasks\[\d+\](\.\w+)?"),
        "keys",
        "Expected 'proxied' and 'id' keys in the task dictionary",
    ),
)


def _with_peer_phrase(field: str, message: str, kind: str | None = None) -> str:
    """``message`` led by dagster-airlift's phrase for the same mistake, if it has one.
    ``kind`` is ``bool`` (not a boolean) or ``keys`` (a key missing or unknown); by
    default it is read from our message."""
    if kind is None:
        kind = "bool" if message.startswith("expected true or false") else "keys"
    for where, what, phrase in _PEER_PHRASES:
        if what == kind and where.fullmatch(field):
            return f"{phrase}: {message}"
    return message


class TaskProxiedState(NamedTuple):
    """Whether one task runs in Dagster."""

    task_id: str
    proxied: bool

    @staticmethod
    def from_dict(task_dict: Mapping[str, Any]) -> TaskProxiedState:
        """From a file's task entry: ``{"id": ..., "proxied": true|false}``."""
        state = _checked("<task entry>", {"tasks": [dict(task_dict)]})
        [(task_id, proxied)] = state.tasks.items()
        return TaskProxiedState(task_id, proxied)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.task_id, "proxied": self.proxied}


class _DagProxiedStateFields(NamedTuple):
    proxied: bool | None
    tasks: dict[str, TaskProxiedState]


class DagProxiedState(_DagProxiedStateFields):
    """The proxied state of one DAG: ``proxied`` (DAG level, else ``None``) and its tasks.

    Both may be left out: ``DagProxiedState(tasks={...})`` proxies task by task,
    ``DagProxiedState(proxied=True)`` the whole DAG.
    """

    __slots__ = ()

    def __new__(
        cls,
        proxied: bool | None = None,
        tasks: Mapping[str, TaskProxiedState] | None = None,
    ) -> DagProxiedState:
        return super().__new__(cls, proxied, dict(tasks or {}))

    @staticmethod
    def from_dict(dag_dict: Mapping[str, Any]) -> DagProxiedState:
        """From a file's content: ``{"tasks": [...]}`` or ``{"proxied": true|false}``."""
        return _public(_checked("<dict>", dag_dict))

    def to_dict(self) -> dict[str, Any]:
        if self.proxied is not None:
            return {"proxied": self.proxied}
        return {"tasks": [task.to_dict() for task in self.tasks.values()]}

    def is_task_proxied(self, task_id: str) -> bool:
        task = self.tasks.get(task_id)
        return bool(task and task.proxied)

    @property
    def dag_proxies_at_task_level(self) -> bool:
        return self.proxied is None

    @property
    def dag_proxies_at_dag_level(self) -> bool:
        return self.proxied is not None


def _checked(dag_id: str, data: Mapping[str, Any]) -> StateOfFile:
    """Validate a dict as a proxied-state file would be (same model, same rules)."""
    where = f"proxied state of DAG {dag_id!r}" if not dag_id.startswith("<") else "proxied state"
    try:
        model = ProxiedStateFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "$"
        path = "$" + "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
        )
        kind = "bool" if first["type"].startswith("bool") else "keys"
        raise ProxiedStateParsingError(
            message=_with_peer_phrase(
                path,
                f"{where}: {field}: {first['msg']} (expected {{'tasks': [{{'id': ..., "
                "'proxied': true|false}, ...]}} or {'proxied': true|false})",
                kind,
            )
        ) from None
    if model.tasks is None and model.proxied is None:
        raise ProxiedStateParsingError(
            message="Expected a 'tasks' or 'proxied' top-level key in the dag dictionary: "
            f"{where}: set exactly one of 'tasks' and 'proxied' (got {sorted(data)})"
        )
    if model.tasks is not None and model.proxied is not None:
        raise ProxiedStateParsingError(
            message="Expected only one of 'tasks' or 'proxied' top-level keys in the dag "
            f"dictionary: {where}: set exactly one of 'tasks' and 'proxied' (got {sorted(data)})"
        )
    tasks: dict[str, bool] = {}
    for task in model.tasks or []:
        if task.id in tasks:
            raise ProxiedStateParsingError(message=f"{where}: task {task.id!r} is listed twice")
        tasks[task.id] = task.proxied
    return StateOfFile(dag_id, model.proxied, tasks)


def _public(state: StateOfFile) -> DagProxiedState:
    tasks = {task_id: TaskProxiedState(task_id, on) for task_id, on in state.tasks.items()}
    return DagProxiedState(state.proxied, tasks)


def _internal(dag_id: str, state: DagProxiedState) -> StateOfFile:
    tasks = {task_id: task.proxied for task_id, task in state.tasks.items()}
    return StateOfFile(dag_id, state.proxied, tasks)


class AirflowProxiedState:
    """The proxied state of a set of DAGs.

    Built by :func:`load_proxied_state_from_yaml` (files read on demand, one DAG at
    a time) or by :meth:`from_dict` / ``AirflowProxiedState(dags={...})``.
    """

    def __init__(
        self,
        dags: Mapping[str, DagProxiedState] | None = None,
        *,
        directory: Path | None = None,
    ) -> None:
        self._given = dict(dags or {})
        self.directory = directory
        self._read: dict[str, StateOfFile | None] = {}

    def __repr__(self) -> str:
        """``AirflowProxiedState(dags={...})``, as a state built from dicts shows, also
        when read from a folder; a folder that does not read shows its path."""
        try:
            dags = self.dags
        except ProxiedStateParsingError:
            return f"AirflowProxiedState(directory={str(self.directory)!r})"
        return f"AirflowProxiedState(dags={dict(sorted(dags.items()))!r})"

    def __eq__(self, other: object) -> bool:
        """Equal to any state with the same DAGs, read from a folder or built from dicts
        (a folder that does not read equals nothing)."""
        if not isinstance(other, AirflowProxiedState):
            return NotImplemented
        if self is other:
            return True
        try:
            return self.dags == other.dags
        except ProxiedStateParsingError:
            return False

    __hash__ = None  # type: ignore[assignment]

    @staticmethod
    def from_dict(proxied_dict: Mapping[str, Mapping[str, Any]]) -> AirflowProxiedState:
        """``{dag_id: <file content as a dict>}``; raises :class:`ProxiedStateParsingError`."""
        return AirflowProxiedState(
            {dag_id: _public(_checked(dag_id, data)) for dag_id, data in proxied_dict.items()}
        )

    def get(self, dag_id: str) -> StateOfFile | None:
        """The DAG's state; ``None`` without one; :class:`ProxiedStateParsingError` for a
        broken file (path, line and column)."""
        if dag_id in self._given:
            return _internal(dag_id, self._given[dag_id])
        if self.directory is None:
            return None
        if dag_id not in self._read:
            self._read[dag_id] = self._read_file(dag_id)
        return self._read[dag_id]

    def _read_file(self, dag_id: str) -> StateOfFile | None:
        assert self.directory is not None
        for suffix in SUFFIXES:
            path = self.directory / f"{dag_id}{suffix}"
            if path.is_file():
                state, problems = read_proxied_state_file(path)
                if problems:
                    raise ProxiedStateParsingError.reading(problems)
                return state
        return None

    @property
    def dags(self) -> dict[str, DagProxiedState]:
        """Every DAG's state (reads the whole folder; any broken file raises)."""
        found = dict(self._given)
        if self.directory is not None:
            try:
                folder = read_proxied_state_dir(self.directory)
            except ConfigError as exc:
                raise ProxiedStateParsingError.reading(exc.problems) from None
            if folder.problems:
                raise ProxiedStateParsingError.reading(folder.all_problems())
            for dag_id, state in folder.states.items():
                found.setdefault(dag_id, _public(state))
        return found

    def dag_ids(self) -> list[str]:
        """Every DAG with a state (reads the whole folder)."""
        return sorted(self.dags)

    def dag_has_proxied_state(self, dag_id: str) -> bool:
        return self.get(dag_id) is not None

    def get_task_proxied_state(self, *, dag_id: str, task_id: str) -> bool | None:
        state = self.get(dag_id)
        return None if state is None else state.tasks.get(task_id)

    def dag_proxies_at_task_level(self, dag_id: str) -> bool:
        return self._required(dag_id).proxied is None

    def dag_proxies_at_dag_level(self, dag_id: str) -> bool:
        return self._required(dag_id).proxied is not None

    def get_proxied_dict_for_dag(self, dag_id: str) -> dict[str, Any] | None:
        state = self.get(dag_id)
        return None if state is None else _public(state).to_dict()

    def _required(self, dag_id: str) -> StateOfFile:
        state = self.get(dag_id)
        if state is None:
            raise KeyError(dag_id)
        return state


def load_proxied_state_from_yaml(proxied_yaml_path: Path | str) -> AirflowProxiedState:
    """The proxied state in a folder, usually ``Path(__file__).parent / "proxied_state"``.

    Files are read when a DAG asks for its own. A missing folder raises
    :class:`ProxiedStateParsingError`.
    """
    directory = Path(proxied_yaml_path)
    if not directory.is_dir():
        try:
            read_proxied_state_dir(directory)  # raises the shared "folder not found" problem
        except ConfigError as exc:
            raise ProxiedStateParsingError.reading(exc.problems) from None
    return AirflowProxiedState(directory=directory)
