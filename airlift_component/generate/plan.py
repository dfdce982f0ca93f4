"""`airlift generate` from end to end: find the task, translate it, write the module,
point ``code:`` at it. Results are collected here and printed by the command."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from airlift_component.generate.dag_finder import DagSite, find_dags, param_defaults
from airlift_component.generate.header import state
from airlift_component.generate.names import module_names
from airlift_component.generate.refusals import GenerateError, Refusal
from airlift_component.generate.render import (
    MappedKey,
    ModuleSpec,
    asset_name,
    identifier,
    render_module,
)
from airlift_component.generate.source import DagSource, read_dag_source
from airlift_component.generate.translation import TaskInput
from airlift_component.generate.translators import translate_task
from airlift_component.generate.yaml_code_edit import CodeTarget, set_code

#: Most ``.py`` files looked at when searching a DAGs folder for a DAG id.
MAX_FILES = 20_000


@dataclass(frozen=True)
class Request:
    """What the user asked for."""

    config: Path
    dag_id: str
    tasks: tuple[str, ...] = ()  # empty: every task mapped in airlift.yaml
    instance: str | None = None
    dags_folder: Path | None = None
    out: Path | None = None  # default: airlift_generated/ next to airlift.yaml
    force: bool = False


@dataclass
class TaskResult:
    """The outcome for one task: ``status`` is written, unchanged, kept (edited by the
    user), refused; ``detail`` says why or where."""

    task_id: str
    status: str
    detail: str = ""
    module: Path | None = None


@dataclass
class Outcome:
    """Every task's result, and whether ``airlift.yaml`` changed."""

    dag_file: Path
    results: list[TaskResult] = field(default_factory=list)
    config_changed: bool = False

    @property
    def refused(self) -> list[TaskResult]:
        return [r for r in self.results if r.status in ("refused", "kept")]


def _mapped_tasks(request: Request) -> tuple[str, dict[str, list[MappedKey]]]:
    from airlift_component.config.airlift_yaml.load import (
        check_airlift_document,
        read_airlift_document,
    )
    from airlift_component.errors import ConfigError

    model, problems = check_airlift_document(read_airlift_document(request.config))
    if model is None:
        raise ConfigError(problems)
    candidates = []
    for instance in model.instances:
        if request.instance and instance.name != request.instance:
            continue
        for mapping in instance.mappings:
            if mapping.dag == request.dag_id:
                tasks = {
                    t.task: [
                        MappedKey(
                            tuple(a.path), tuple(tuple(d.split("/")) for d in a.deps), a.group
                        )
                        for a in t.assets
                    ]
                    for t in mapping.tasks
                }
                candidates.append((instance.name, tasks))
    if not candidates:
        where = f"instance {request.instance!r}" if request.instance else "any instance"
        raise GenerateError(
            f"{request.config}: {where} maps no DAG {request.dag_id!r}; map its tasks "
            "(mappings: - dag: ... tasks: ...) first"
        )
    if len(candidates) > 1:
        names = ", ".join(c[0] for c in candidates)
        raise GenerateError(
            f"{request.config}: instances {names} all map {request.dag_id!r}; pass --instance"
        )
    return candidates[0]


def _stored_fileloc(config: Path, instance: str, dag_id: str) -> Path:
    from airlift_component.airflow_state.state_file import default_state_file, read_state_file

    path = default_state_file(config)
    stored = read_state_file(path)
    dag_state = stored.instances.get(instance) if stored else None
    found = dag_state.dags.get(dag_id) if dag_state else None
    fileloc = found.dag.fileloc if found else None
    if not fileloc:
        raise GenerateError(
            f"no DAGs folder: pass --dags-folder, or run `airlift refresh` so {path} "
            f"records where DAG {dag_id!r} lives"
        )
    if not Path(fileloc).is_file():
        raise GenerateError(
            f"{path}: DAG {dag_id!r} is in {fileloc} on the Airflow machine, not here; "
            "pass --dags-folder with a checkout of the DAGs"
        )
    return Path(fileloc)


def find_dag_file(folder: Path, dag_id: str) -> tuple[DagSource, DagSite]:
    """The file of ``folder`` defining ``dag_id`` (by syntax), and the DAG."""
    if not folder.is_dir():
        raise GenerateError(f"--dags-folder {folder}: not a folder")
    seen = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            seen += 1
            if seen > MAX_FILES:
                raise GenerateError(
                    f"--dags-folder {folder}: more than {MAX_FILES} files; give a narrower folder"
                )
            path = Path(root, name)
            try:
                if dag_id not in path.read_text(encoding="utf-8", errors="replace"):
                    continue
            except OSError:
                continue
            source = read_dag_source(path)
            dag = find_dags(source).get(dag_id)
            if dag is not None:
                return source, dag
    raise GenerateError(f"--dags-folder {folder}: no file defines DAG {dag_id!r} (read by syntax)")


def _package(out: Path) -> str:
    parts = [out.name]
    parent = out.parent
    while (parent / "__init__.py").is_file():
        parts.append(parent.name)
        parent = parent.parent
    return ".".join(reversed(parts))


def generate(request: Request) -> Outcome:
    """Generate every requested task; refusals are results, not errors."""
    from airlift_component.config.atomic_write import atomic_write_bytes, locked

    instance, mapped = _mapped_tasks(request)
    if request.dags_folder is not None:
        source, dag = find_dag_file(request.dags_folder, request.dag_id)
        dags_folder: Path | None = request.dags_folder
    else:
        path = _stored_fileloc(request.config, instance, request.dag_id)
        source = read_dag_source(path)
        found = find_dags(source).get(request.dag_id)
        if found is None:
            raise GenerateError(f"{path}: defines no DAG {request.dag_id!r} (read by syntax)")
        dag, dags_folder = found, path.parent
    tasks = request.tasks or tuple(mapped)
    for task_id in tasks:
        if task_id not in mapped:
            raise GenerateError(
                f"{request.config}: task {task_id!r} of DAG {request.dag_id!r} has no assets "
                f"mapped in instance {instance!r}; map it first (tasks: - task: {task_id})"
            )
    out = request.out or request.config.parent / "airlift_generated"
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "__init__.py").exists():
        atomic_write_bytes(
            out / "__init__.py", b'"""Dagster assets written by `airlift generate`."""\n'
        )
    package = _package(out)
    names = module_names(source.tree)
    outcome = Outcome(source.path)
    refs: dict[str, str] = {}
    for task_id in tasks:
        result = _one_task(request, source, dag, names, dags_folder, task_id, mapped[task_id], out)
        outcome.results.append(result)
        if result.module is not None and result.status in ("written", "unchanged"):
            refs[task_id] = f"{package}.{result.module.stem}:{asset_name(request.dag_id, task_id)}"
    for task_id, ref in refs.items():
        keys = {"/".join(k.path): ref for k in mapped[task_id]}
        with locked(request.config):
            text = request.config.read_bytes().decode("utf-8")
            new = set_code(
                text, CodeTarget(instance, request.dag_id, task_id), keys, request.config
            )
            if new != text:
                atomic_write_bytes(request.config, new.encode("utf-8"))
                outcome.config_changed = True
    return outcome


def _one_task(
    request: Request,
    source: DagSource,
    dag: DagSite,
    names: object,
    dags_folder: Path | None,
    task_id: str,
    keys: Sequence[MappedKey],
    out: Path,
) -> TaskResult:
    from airlift_component.config.atomic_write import atomic_write_bytes
    from airlift_component.generate.names import ModuleNames

    assert isinstance(names, ModuleNames)
    site = dag.tasks.get(task_id)
    if site is None:
        return TaskResult(
            task_id,
            "refused",
            f"{source.path}: DAG {request.dag_id!r} has no task {task_id!r} (by syntax)",
        )
    try:
        translation = translate_task(TaskInput(source, names, dag, site, dags_folder))
    except Refusal as refusal:
        return TaskResult(task_id, "refused", f"{source.path}:{refusal.line}: {refusal.reason}")
    module = out / f"{identifier(request.dag_id)}__{identifier(task_id)}.py"
    task_params = param_defaults(site.keyword("params"), names)
    if dag.params is None or task_params is None:
        line = site.line if task_params is None else dag.line
        return TaskResult(task_id, "refused", f"{source.path}:{line}: params are not literal")
    params = {**dag.params, **task_params}
    spec = ModuleSpec(
        request.dag_id,
        task_id,
        site.operator.rsplit(".", 1)[-1],
        _shown(source.path, request.config.parent),
        site.line,
        tuple(keys),
        params,
        Path(os.path.relpath(request.config.resolve(), out.resolve())).as_posix(),
    )
    text = render_module(spec, translation)
    if module.exists():
        old = module.read_text(encoding="utf-8")
        if old == text:
            return TaskResult(task_id, "unchanged", str(module), module)
        if state(old) != "generated" and not request.force:
            return TaskResult(
                task_id,
                "kept",
                f"{module}: edited since it was generated; --force overwrites it",
                module,
            )
    atomic_write_bytes(module, text.encode("utf-8"))
    return TaskResult(task_id, "written", str(module), module)


def _shown(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:
        return path.as_posix()
