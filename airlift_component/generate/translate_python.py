"""PythonOperator and ``@task`` → a Dagster asset calling the same function.

The callable is imported from where it lives when that module is not Airflow's
and does not import Airflow; otherwise its source is copied with the
module-level names it uses (:mod:`.transplant`), and it is refused when it
needs Airflow. Its arguments are the task's: ``op_args``/``op_kwargs`` (rendered
when templated), a TaskFlow call's literals, and upstream XComs read from
Airflow for the same run. Context keys it reads (named parameters or
``kwargs["ds"]``) are passed when the runtime has them. Its return value is
handed back as the task's XCom.
"""

from __future__ import annotations

import ast
from typing import Any

from airlift_component.generate.dag_finder import Unresolved, XComRef
from airlift_component.generate.operator_args import literal, operator_kwargs
from airlift_component.generate.refusals import Refusal
from airlift_component.generate.runtime.templates import TEMPLATE_NAMES
from airlift_component.generate.template_check import check_template, is_template
from airlift_component.generate.translation import TaskInput, Translation
from airlift_component.generate.transplant import Function, transplant

OPERATORS = ("PythonOperator",)
_KNOWN = frozenset(
    {"python_callable", "op_args", "op_kwargs", "templates_dict", "do_xcom_push",
     "multiple_outputs", "show_return_value_in_logs", "templates_exts", "provide_context"}
)  # fmt: skip
#: Context keys a callable may read here, besides ``templates_dict``.
PASSED_CONTEXT = frozenset(TEMPLATE_NAMES) - {"macros", "dag", "task", "var"}
#: Every key of Airflow's task context (2.x and 3.x), to tell a context parameter
#: from an ordinary one.
AIRFLOW_CONTEXT = PASSED_CONTEXT | {
    "conf", "dag", "dag_run", "data_interval_end", "data_interval_start", "execution_date",
    "expanded_ti_count", "inlets", "inlet_events", "macros", "map_index_template",
    "next_ds", "next_ds_nodash", "next_execution_date", "outlets", "outlet_events",
    "prev_data_interval_start_success", "prev_data_interval_end_success", "prev_ds",
    "prev_ds_nodash", "prev_execution_date", "prev_execution_date_success",
    "prev_start_date_success", "prev_end_date_success", "task", "task_instance",
    "task_reschedule_count", "templates_dict", "test_mode", "ti", "tomorrow_ds",
    "tomorrow_ds_nodash", "triggering_asset_events", "triggering_dataset_events", "var",
    "conn", "yesterday_ds", "yesterday_ds_nodash", "partition_key", "partition_date",
}  # fmt: skip
#: Names the generated module binds itself; copied code may not rebind them.
RESERVED = frozenset(
    {"dg", "sys", "Path", "Iterator", "airflow_run", "xcom_value", "AIRLIFT_YAML", "DAG_ID",
     "TASK_ID", "PARAMS", "SPECS", "OP_ARGS", "OP_KWARGS", "TEMPLATES_DICT"}
)  # fmt: skip


def _xcom_calls(function: Function) -> None:
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and node.attr in ("xcom_push", "xcom_pull"):
            owner = node.value.id if isinstance(node.value, ast.Name) else "ti"
            raise Refusal(f"uses {owner}.{node.attr}", node.lineno)


def _context_keys(function: Function, filled: set[str]) -> list[str]:
    """The context keys ``function`` reads, from its parameters and ``**kwargs`` use."""
    args = function.args
    keys: list[str] = []
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        if arg.arg in filled or arg.arg not in AIRFLOW_CONTEXT:
            continue
        keys.append(arg.arg)
    if args.kwarg is not None:
        keys += _kwargs_keys(function, args.kwarg.arg)
    for key in keys:
        if key not in PASSED_CONTEXT and key != "templates_dict":
            raise Refusal(f"reads context key {key}", function.lineno)
    return sorted(set(keys))


def _kwargs_keys(function: Function, name: str) -> list[str]:
    keys: list[str] = []
    parents: dict[ast.AST, ast.AST] = {}
    for outer in ast.walk(function):
        for child in ast.iter_child_nodes(outer):
            parents[child] = outer
    for node in ast.walk(function):
        if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
            continue
        parent: ast.AST | None = parents.get(node)
        key_node: ast.expr | None = None
        if isinstance(parent, ast.Subscript) and parent.value is node:
            key_node = parent.slice
        elif isinstance(parent, ast.Attribute) and parent.attr == "get":
            call: ast.AST | None = parents.get(parent)
            if isinstance(call, ast.Call) and call.args:
                key_node = call.args[0]
        if isinstance(key_node, ast.Constant) and isinstance(key_node.value, str):
            keys.append(key_node.value)
            continue
        raise Refusal(f"passes the whole Airflow context on ({name})", node.lineno)
    return keys


def _arg_code(value: Any, line: int) -> str:
    if isinstance(value, XComRef):
        if value.mapped:
            raise Refusal(
                f"dynamic task mapping: reads mapped task {value.task_id!r}, whose output is "
                "one XCom per map index; write this task's asset by hand",
                line,
            )
        if value.key == "return_value":
            return f"run.xcom({value.task_id!r})"
        return f"run.xcom({value.task_id!r}, {value.key!r})"
    if isinstance(value, Unresolved):
        raise Refusal(
            f"argument {ast.unparse(value.node)} is not a literal or an upstream XCom", line
        )
    if isinstance(value, list | tuple | dict):
        items = value.values() if isinstance(value, dict) else value
        if any(isinstance(v, XComRef | Unresolved) for v in items):
            raise Refusal("argument mixes upstream XComs into a literal; not supported", line)
    return repr(value)


def _check_templates(value: Any, line: int) -> bool:
    """Check every templated string in ``value``; True when there is one."""
    found = False
    if isinstance(value, str) and is_template(value):
        check_template(value, line)
        return True
    if isinstance(value, list | tuple | set):
        for item in value:
            found = _check_templates(item, line) or found
    if isinstance(value, dict):
        for item in value.values():
            found = _check_templates(item, line) or found
    return found


def _callable_source(
    task: TaskInput, function: Function, module_level: bool, out: Translation
) -> None:
    _xcom_calls(function)
    copied = transplant(task.source, task.names, function, module_level=module_level)
    clash = copied.defines & RESERVED
    if clash:
        raise Refusal(
            f"callable needs module-level name {sorted(clash)[0]} the generated module uses",
            function.lineno,
        )
    out.imports |= copied.imports
    out.prelude += copied.code
    out.notes.append(f"{function.name} is copied from the DAG file (line {function.lineno}).")


def translate_taskflow(task: TaskInput) -> Translation:
    """The asset code of a ``@task`` (TaskFlow) task."""
    site = task.site
    function = site.function
    assert function is not None
    out = Translation("python", hands_back=True)
    module_level = function.name in task.names.functions
    _callable_source(task, function, module_level, out)
    args = [_arg_code(a, site.line) for a in site.args]
    kwargs = {k: _arg_code(v, site.line) for k, v in site.kwargs.items()}
    params = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
    filled = set(params[: len(args)]) | set(kwargs)
    for key in _context_keys(function, filled):
        if key == "templates_dict":
            raise Refusal("reads context key templates_dict", function.lineno)
        kwargs[key] = f"airflow_context[{key!r}]"
    call = ", ".join([*args, *(f"{k}={v}" for k, v in kwargs.items())])
    out.body += (
        ["airflow_context = run.template_context()"]
        if any("airflow_context[" in v for v in kwargs.values())
        else []
    )
    out.body.append(_call_line(function, function.name, call, out))
    return out


def translate(task: TaskInput) -> Translation:
    """The asset code of a PythonOperator task."""
    site = task.site
    args = operator_kwargs(site, _KNOWN)
    target = args.get("python_callable")
    if target is None:
        raise Refusal("python_callable is missing", site.line)
    out = Translation("python")
    out.hands_back = (
        bool(literal(site, args["do_xcom_push"], "do_xcom_push"))
        if "do_xcom_push" in args
        else True
    )
    if not isinstance(target, ast.Name):
        raise Refusal(f"callable {ast.unparse(target)} is not a function name", target.lineno)
    name = target.id
    function: Function | None = task.names.functions.get(name)
    if function is not None:
        _callable_source(task, function, True, out)
    elif name in task.names.imports:
        imported = task.names.imports[name]
        if imported.from_airflow or imported.name is None:
            raise Refusal(f"callable {imported.qualified} is Airflow's", target.lineno)
        if _module_imports_airflow(task, imported.module):
            raise Refusal(
                f"callable lives in {imported.module}, which imports Airflow", target.lineno
            )
        out.imports.add(
            f"from {imported.module} import {imported.name}"
            + (f" as {name}" if name != imported.name else "")
        )
        out.notes.append(
            f"{name} is imported from {imported.module}: install it in the Dagster environment."
        )
    else:
        nested = [
            node
            for node in ast.walk(task.source.tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
        ]
        if len(nested) != 1:
            raise Refusal(f"callable {name} is not defined in the DAG file", target.lineno)
        function = nested[0]
        _callable_source(task, function, False, out)
    op_args = literal(site, args["op_args"], "op_args") if "op_args" in args else []
    op_kwargs = literal(site, args["op_kwargs"], "op_kwargs") if "op_kwargs" in args else {}
    templates_dict = (
        literal(site, args["templates_dict"], "templates_dict")
        if "templates_dict" in args
        else None
    )
    if not isinstance(op_args, list | tuple) or not isinstance(op_kwargs, dict):
        raise Refusal("op_args must be a list and op_kwargs a dict", site.line)
    templated = _check_templates([op_args, op_kwargs, templates_dict], site.line)
    out.prelude += [
        f"OP_ARGS: list[Any] = {list(op_args)!r}",
        f"OP_KWARGS: dict[str, Any] = {op_kwargs!r}",
    ]
    out.imports.add("from typing import Any")
    render = "run.render_nested" if templated else ""
    call = [
        f"*{render}(OP_ARGS)" if render else "*OP_ARGS",
        f"**{render}(OP_KWARGS)" if render else "**OP_KWARGS",
    ]
    if function is not None:
        params = [a.arg for a in [*function.args.posonlyargs, *function.args.args]]
        filled = set(params[: len(op_args)]) | set(op_kwargs)
        keys = _context_keys(function, filled)
        if keys:
            out.body.append("airflow_context = run.template_context()")
        for key in keys:
            if key == "templates_dict":
                out.prelude.append(f"TEMPLATES_DICT: dict[str, Any] | None = {templates_dict!r}")
                call.append("templates_dict=run.render_nested(TEMPLATES_DICT)")
            else:
                call.append(f"{key}=airflow_context[{key!r}]")
    elif templates_dict is not None:
        raise Refusal("templates_dict with an imported callable is not supported", site.line)
    out.body.append(_call_line(function, name, ", ".join(call), out))
    return out


def _call_line(function: Function | None, name: str, args: str, out: Translation) -> str:
    """``value = name(args)``; an ``async def`` callable is run to completion, as
    Airflow 3 runs one (in an event loop of its own)."""
    if isinstance(function, ast.AsyncFunctionDef):
        out.imports.add("import asyncio")
        return f"value = asyncio.run({name}({args}))"
    return f"value = {name}({args})"


def _module_imports_airflow(task: TaskInput, module: str) -> bool:
    """True when ``module`` is a file of the DAGs folder that imports Airflow."""
    if task.dags_folder is None:
        return False
    base = task.dags_folder.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            try:
                tree = ast.parse(candidate.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError):
                return True
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(n == "airflow" or n.startswith("airflow.") for n in names):
                    return True
    return False
