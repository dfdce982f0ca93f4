"""The walk over a definitions module: each Airflow instance and what is mapped to it.

Recognized calls, wherever they are in the module: ``build_defs_from_airflow_instance``
(its ``defs``, sensor settings and DAG selection), ``load_airflow_dag_asset_specs``
and ``enrich_airflow_mapped_assets`` (their ``mapped_assets``),
``build_airflow_polling_sensor`` (its interval). Calls naming the same instance
fill one ``instances[]`` entry; several instances (``Definitions.merge`` of
several builds) give several entries.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airlift_component.import_python.assets import AssetReader, Entry
from airlift_component.import_python.dag_filter import retrieval_filter, selector_filter
from airlift_component.import_python.instances import InstanceReader
from airlift_component.import_python.mappings import Mapped, MappingReader
from airlift_component.import_python.result import ImportedInstance, ImportPythonError, ImportResult
from airlift_component.import_python.source import package_root, read_source
from airlift_component.import_python.symbols import Project, Scope, api_name
from airlift_component.import_python.task_code import task_entry
from airlift_component.import_python.values import Unknown, evaluate, keyword, short

_BUILDERS = {
    "build_defs_from_airflow_instance": "defs",
    "build_full_automapped_dags_from_airflow_instance": "defs",
    "load_airflow_dag_asset_specs": "mapped_assets",
    "enrich_airflow_mapped_assets": "mapped_assets",
    "build_airflow_polling_sensor": "mapped_assets",
}
#: Builder keywords that change nothing airlift.yaml shows.
_NO_EFFECT = {"source_code_retrieval_enabled"}


@dataclass
class _Instance:
    name: str
    line: int
    data: dict[str, Any]
    rows: list[Mapped] = field(default_factory=list)
    sensor: dict[str, Any] = field(default_factory=dict)
    dags: dict[str, list[str]] = field(default_factory=dict)


class _Walk:
    def __init__(self, scope: Scope, project: Project, result: ImportResult) -> None:
        self.scope = scope
        self.result = result
        self.instances = InstanceReader(scope, result)
        self.mappings = MappingReader(scope, AssetReader(project, result), result)
        self.found: dict[str, _Instance] = {}
        self._by_call: dict[int, _Instance] = {}

    def run(self) -> None:
        calls = [n for n in ast.walk(self.scope.source.tree) if isinstance(n, ast.Call)]
        for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):
            kind = api_name(self.scope.dotted(call.func))
            if kind in _BUILDERS:
                self._builder(call, kind)

    def _instance(self, call: ast.Call, kind: str) -> _Instance | None:
        position = 1 if kind == "enrich_airflow_mapped_assets" else 0
        node = keyword(call, "airflow_instance", position)
        inst_call = self.instances.call_of(node) if node is not None else None
        if inst_call is None:
            self.result.note(
                call.lineno,
                f"{kind}(...): its airflow_instance is not an "
                "AirflowInstance(...) this module builds; not translated",
            )
            return None
        if id(inst_call) in self._by_call:
            return self._by_call[id(inst_call)]
        name, data = self.instances.read(inst_call)
        if name in self.found:
            self.result.note(
                inst_call.lineno,
                f"a second AirflowInstance named {name!r}; its mappings join the first",
            )
            instance = self.found[name]
        else:
            instance = self.found[name] = _Instance(name, inst_call.lineno, data)
        self._by_call[id(inst_call)] = instance
        return instance

    def _builder(self, call: ast.Call, kind: str) -> None:
        instance = self._instance(call, kind)
        if instance is None:
            return
        if kind == "build_full_automapped_dags_from_airflow_instance":
            self.result.note(
                call.lineno,
                "automapping (an asset per task) has no airlift.yaml "
                "equivalent; the DAGs are peered and the mapped assets kept",
            )
        position = {"load_airflow_dag_asset_specs": 1, "enrich_airflow_mapped_assets": 0}
        listed = keyword(call, _BUILDERS[kind], position.get(kind))
        if listed is not None:
            if _BUILDERS[kind] == "defs":
                instance.rows += self.mappings.definitions(listed)
            else:
                instance.rows += self.mappings.asset_list(listed)
        for kw in call.keywords:
            self._option(instance, kw, kind)

    def _option(self, instance: _Instance, kw: ast.keyword, kind: str) -> None:
        name, value, line = kw.arg, kw.value, kw.value.lineno
        try:
            if name in ("sensor_minimum_interval_seconds", "minimum_interval_seconds"):
                seconds = evaluate(value, self.scope)
                if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
                    raise Unknown(value, "not a whole number of seconds")
                instance.sensor["interval_seconds"] = seconds
            elif name == "default_sensor_status":
                status = value.attr if isinstance(value, ast.Attribute) else ""
                if status not in ("RUNNING", "STOPPED"):
                    raise Unknown(value, "not DefaultSensorStatus.RUNNING or .STOPPED")
                instance.sensor["default_status"] = status.lower()
            elif name == "dag_selector_fn":
                instance.dags.update(selector_filter(value, self.scope))
            elif name == "retrieval_filter":
                dags, notes = retrieval_filter(value, self.scope)
                instance.dags.update(dags)
                for note in notes:
                    self.result.note(line, note)
            elif name == "event_transformer_fn":
                self.result.note(
                    line,
                    "event_transformer_fn has no airlift.yaml equivalent: "
                    "the sensor records events itself; left out",
                )
            elif name in _NO_EFFECT:
                self.result.note(line, f"{name} has no airlift.yaml equivalent; left out")
        except Unknown as exc:
            self.result.note(
                exc.line or line, f"{name}=`{short(value)}` not translated: {exc.reason}"
            )


def _asset_value(data: dict[str, Any]) -> Any:
    return data["key"] if list(data) == ["key"] else data


def _mappings(instance: _Instance, result: ImportResult) -> list[dict[str, Any]]:
    dags: dict[str, dict[str, Any]] = {}
    tasks: dict[str, dict[str, list[Entry]]] = {}
    owner: dict[str, tuple[str, str | None]] = {}
    for row in instance.rows:
        data = row.entry.data
        key = data["key"] if "key" in data else f"code {data['code']}"
        where = (row.dag, row.task)
        if key in owner:
            if owner[key] != where:
                result.note(
                    row.entry.line,
                    f"asset {key} is mapped twice ({owner[key][0]}."
                    f"{owner[key][1] or '(DAG)'} and {row.dag}.{row.task or '(DAG)'}); "
                    "airlift.yaml keeps the first",
                )
            continue
        if "key" not in data and row.task is None:
            result.note(
                row.entry.line,
                f"{data['code']} is mapped to DAG {row.dag}: airlift.yaml maps a whole "
                "definition (a dbt project) to a task; map it to the task that builds it",
            )
            continue
        owner[key] = where
        dag = dags.setdefault(row.dag, {"dag": row.dag})
        if row.task is None:
            dag.setdefault("assets", []).append(_asset_value(data))
        else:
            tasks.setdefault(row.dag, {}).setdefault(row.task, []).append(row.entry)
    for dag_id, by_task in tasks.items():
        written = [task_entry(task, entries, result) for task, entries in by_task.items()]
        if any(written):
            dags[dag_id]["tasks"] = [task for task in written if task is not None]
    return [dag for dag in dags.values() if "assets" in dag or "tasks" in dag]


def import_definitions(path: Path, module: str | None = None) -> ImportResult:
    """Read the dagster-airlift module at ``path`` (never importing it) into an import result.

    ``module`` is its dotted import name, for ``code:`` references; by default it
    comes from the packages (``__init__.py`` folders) around the file.
    Raises :class:`ImportPythonError` when the file cannot be read or builds no
    Airflow instance.
    """
    root, dotted = package_root(path)
    scope = Scope.of(read_source(path, module or dotted))
    result = ImportResult(path)
    walk = _Walk(scope, Project(root, scope), result)
    try:
        walk.run()
    except RecursionError:
        raise ImportPythonError(f"{path}: expressions nested too deeply to read") from None
    if not walk.found:
        raise ImportPythonError(
            f"{path}: no build_defs_from_airflow_instance(...) or load_airflow_dag_asset_specs(...) "
            "with an AirflowInstance(...) found; give the module that builds the definitions"
        )
    for instance in walk.found.values():
        data = dict(instance.data)
        if instance.dags:
            data["dags"] = instance.dags
        if instance.sensor:
            data["sensor"] = instance.sensor
        mappings = _mappings(instance, result)
        if mappings:
            data["mappings"] = mappings
        result.instances.append(ImportedInstance(instance.name, instance.line, data))
    result.findings.sort(key=lambda f: f.line)
    return result
