"""Finding the DAGs of a DAG file and their tasks by task id, from the syntax tree.

Two styles are read: classic operators inside ``with DAG(...)`` (or with
``dag=`` a module-level ``DAG(...)``), and TaskFlow (``@dag`` functions calling
``@task`` functions). Task groups prefix task ids as Airflow does, ``for``
loops over literal ranges or lists are unrolled (``task_id=f"runme_{i}"``), and
a TaskFlow function called twice gets ids ``name`` and ``name__1``. The
arguments of a TaskFlow call are resolved to literals or to the XComs of the
tasks that produce them (:class:`XComRef`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Literal

from airlift_component.generate.literals import NotLiteral, evaluate, loop_values
from airlift_component.generate.names import ModuleNames, module_names
from airlift_component.generate.source import DagSource, too_deep

_TASK_DECORATORS = ("airflow.decorators.task", "airflow.sdk.task")
_DAG_DECORATORS = ("airflow.decorators.dag", "airflow.sdk.dag", "airflow.models.dag.dag")


@dataclass(frozen=True)
class XComRef:
    """An argument that is another task's XCom (``return_value`` unless a key is given)."""

    task_id: str
    key: str = "return_value"
    #: The task is mapped (``.expand()``): its output is one XCom per map index.
    mapped: bool = False


@dataclass(frozen=True)
class Unresolved:
    """An argument whose value is known only when the DAG file runs."""

    node: ast.expr


ArgValue = Any  # a literal value, an XComRef or an Unresolved


@dataclass
class TaskSite:
    """Where and how one task is defined."""

    task_id: str
    line: int
    kind: Literal["operator", "taskflow"]
    #: The operator class (dotted, through the imports) or the decorator (``@task.bash``).
    operator: str
    #: The operator call, or the call of the TaskFlow function in the DAG.
    call: ast.Call
    #: Values of the enclosing loop variables.
    env: dict[str, Any] = field(default_factory=dict)
    function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    #: The TaskFlow decorator's keyword arguments (``multiple_outputs=True``).
    decorator_kwargs: dict[str, ast.expr] = field(default_factory=dict)
    #: The TaskFlow call's arguments, resolved.
    args: list[ArgValue] = field(default_factory=list)
    kwargs: dict[str, ArgValue] = field(default_factory=dict)
    #: Why the task cannot be translated whatever its operator (mapped, ...), or "".
    blocked: str = ""

    def keyword(self, name: str) -> ast.expr | None:
        """The operator call's keyword argument ``name``."""
        for kw in self.call.keywords:
            if kw.arg == name:
                return kw.value
        return None


@dataclass
class DagSite:
    """One DAG of the file."""

    dag_id: str
    line: int
    #: The DAG's ``params`` defaults (``Param(...)`` reduced to its default); None when
    #: they are not literal.
    params: dict[str, Any] | None = field(default_factory=dict)
    tasks: dict[str, TaskSite] = field(default_factory=dict)
    #: Tasks whose id is not a literal: (line, operator).
    unnamed: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Scope:
    dag: DagSite
    names: ModuleNames
    task_functions: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.expr]]
    bindings: dict[str, XComRef] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _literal_str(node: ast.expr | None, env: dict[str, Any]) -> str | None:
    if node is None:
        return None
    try:
        value = evaluate(node, env)
    except NotLiteral:
        return None
    return value if isinstance(value, str) else None


def _decorator_flavor(
    names: ModuleNames, decorator: ast.expr, wanted: tuple[str, ...]
) -> str | None:
    """``"python"`` for ``@task``/``@task()``/``@task.python``, ``"bash"`` for ``@task.bash``
    and so on; None when ``decorator`` is not one of ``wanted``."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    qualified = names.qualified(target) or ""
    for base in wanted:
        if qualified == base:
            return "python"
        if qualified.startswith(base + "."):
            return qualified[len(base) + 1 :]
    return None


def _is_airflow_class(names: ModuleNames, func: ast.expr, suffix: str) -> bool:
    qualified = names.qualified(func) or ""
    return qualified.startswith("airflow") and qualified.rsplit(".", 1)[-1] == suffix


def param_defaults(node: ast.expr | None, names: ModuleNames) -> dict[str, Any] | None:
    """A ``params={...}`` literal with ``Param(default, ...)`` reduced to its default."""
    if node is None:
        return {}
    if not isinstance(node, ast.Dict) or any(k is None for k in node.keys):
        return None
    out: dict[str, Any] = {}
    try:
        for key, value in zip(node.keys, node.values, strict=True):
            assert key is not None
            if isinstance(value, ast.Call) and (names.qualified(value.func) or "").endswith(
                "Param"
            ):
                default = value.args[0] if value.args else _keyword(value, "default")
                out[evaluate(key)] = None if default is None else evaluate(default)
            else:
                out[evaluate(key)] = evaluate(value)
    except NotLiteral:
        return None
    return out


def find_dags(source: DagSource) -> dict[str, DagSite]:
    """Every DAG of the file whose id is a literal, by id, each with its tasks;
    :class:`~airlift_component.generate.refusals.GenerateError` naming the file when
    its code is nested too deeply to walk."""
    try:
        return _find_dags(source)
    except RecursionError:
        raise too_deep(source.path) from None


def _find_dags(source: DagSource) -> dict[str, DagSite]:
    names = module_names(source.tree)
    names.literals = module_literals(source.tree)
    module_tasks = _task_functions(source.tree.body, names)
    dags: dict[str, DagSite] = {}
    aliases: dict[str, DagSite] = {}
    for stmt in source.tree.body:
        _module_statement(stmt, names, module_tasks, dags, source.tree.body, aliases)
    if aliases:
        # Tasks outside the ``with`` block that name its DAG: ``BashOperator(..., dag=dag)``.
        loose = DagSite("", 0)
        rest = [s for s in source.tree.body if not isinstance(s, ast.With | ast.FunctionDef)]
        _scan(rest, _Scope(loose, names, dict(module_tasks)), "", dict(names.literals))
        for task_id, site in loose.tasks.items():
            owner = site.keyword("dag")
            if isinstance(owner, ast.Name) and owner.id in aliases:
                aliases[owner.id].tasks.setdefault(task_id, site)
    return dags


def _task_functions(
    body: list[ast.stmt], names: ModuleNames
) -> dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.expr]]:
    found = {}
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in stmt.decorator_list:
                if _decorator_flavor(names, decorator, _TASK_DECORATORS) is not None:
                    found[stmt.name] = (stmt, decorator)
    return found


def _module_statement(
    stmt: ast.stmt,
    names: ModuleNames,
    module_tasks: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.expr]],
    dags: dict[str, DagSite],
    body: list[ast.stmt],
    aliases: dict[str, DagSite],
) -> None:
    if isinstance(stmt, ast.With):
        for item in stmt.items:
            call = item.context_expr
            if isinstance(call, ast.Call) and _is_airflow_class(names, call.func, "DAG"):
                dag = _dag_from_call(call, names)
                if dag is not None:
                    dags[dag.dag_id] = dag
                    if isinstance(item.optional_vars, ast.Name):
                        aliases[item.optional_vars.id] = dag
                    scope = _Scope(dag, names, dict(module_tasks))
                    _scan(stmt.body, scope, "", dict(names.literals))
    elif isinstance(stmt, ast.FunctionDef):
        for decorator in stmt.decorator_list:
            if _decorator_flavor(names, decorator, _DAG_DECORATORS) is None:
                continue
            kwargs = decorator if isinstance(decorator, ast.Call) else None
            dag_id = _literal_str(_keyword(kwargs, "dag_id"), {}) if kwargs else None
            if kwargs is not None and kwargs.args:
                dag_id = _literal_str(kwargs.args[0], {}) or dag_id
            dag = DagSite(dag_id or stmt.name, stmt.lineno)
            if kwargs is not None:
                dag.params = param_defaults(_keyword(kwargs, "params"), names)
            dags[dag.dag_id] = dag
            scope = _Scope(dag, names, {**module_tasks, **_task_functions(stmt.body, names)})
            _scan(stmt.body, scope, "", dict(names.literals))
    elif (
        isinstance(stmt, ast.Assign)
        and isinstance(stmt.value, ast.Call)
        and _is_airflow_class(names, stmt.value.func, "DAG")
    ):
        dag = _dag_from_call(stmt.value, names)
        if dag is not None:
            dags[dag.dag_id] = dag
            rest = [s for s in body if not isinstance(s, ast.With | ast.FunctionDef)]
            _scan(
                [s for s in rest if s is not stmt],
                _Scope(dag, names, dict(module_tasks)),
                "",
                dict(names.literals),
            )


def _dag_from_call(call: ast.Call, names: ModuleNames) -> DagSite | None:
    dag_id = _literal_str(call.args[0], {}) if call.args else None
    dag_id = dag_id or _literal_str(_keyword(call, "dag_id"), {})
    if dag_id is None:
        return None
    return DagSite(dag_id, call.lineno, param_defaults(_keyword(call, "params"), names))


def _scan(body: list[ast.stmt], scope: _Scope, prefix: str, env: dict[str, Any]) -> None:
    env = dict(env)
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            scope.task_functions.update(_task_functions([stmt], scope.names))
            continue
        if isinstance(stmt, ast.ClassDef):
            continue
        if isinstance(stmt, ast.With):
            inner = prefix
            for item in stmt.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and _is_airflow_class(
                    scope.names, call.func, "TaskGroup"
                ):
                    group = _literal_str(
                        call.args[0] if call.args else _keyword(call, "group_id"), env
                    )
                    keep = _keyword(call, "prefix_group_id")
                    if group and not (isinstance(keep, ast.Constant) and keep.value is False):
                        inner = f"{inner}{group}."
                else:
                    _visit(item.context_expr, scope, prefix, env)
            _scan(stmt.body, scope, inner, env)
        elif isinstance(stmt, ast.For):
            unrolled = loop_values(stmt)
            if unrolled is None:
                _scan(stmt.body, scope, prefix, env)
            else:
                name, values = unrolled
                for value in values:
                    _scan(stmt.body, scope, prefix, {**env, name: value})
        elif isinstance(stmt, ast.If | ast.Try | ast.While):
            for part in ("body", "orelse", "finalbody"):
                _scan(getattr(stmt, part, []), scope, prefix, env)
            for handler in getattr(stmt, "handlers", []):
                _scan(handler.body, scope, prefix, env)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            ref = _visit(stmt.value, scope, prefix, env)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name) and isinstance(ref, XComRef):
                    scope.bindings[target.id] = ref
                elif isinstance(target, ast.Name):
                    _bind_literal(env, target.id, stmt.value)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    _visit(child, scope, prefix, env)


def _bind_literal(env: dict[str, Any], name: str, value: ast.expr) -> None:
    """Remember ``name = <literal>`` for later arguments (``bash_command=templated_command``)."""
    try:
        env[name] = evaluate(value, env)
    except NotLiteral:
        env.pop(name, None)


def module_literals(tree: ast.Module) -> dict[str, Any]:
    """The module-level names assigned a literal (the last assignment wins)."""
    env: dict[str, Any] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                _bind_literal(env, target.id, stmt.value)
    return env


def _visit(node: ast.expr, scope: _Scope, prefix: str, env: dict[str, Any]) -> XComRef | None:
    """Record the tasks created by ``node`` (inner calls first, as Python runs them);
    returns the XCom of the task ``node`` creates, if it creates one."""
    if isinstance(node, ast.Call):
        return _visit_call(node, scope, prefix, env)
    if (
        isinstance(node, ast.Attribute)
        and node.attr == "output"
        and isinstance(node.value, ast.Name)
    ):
        return scope.bindings.get(node.value.id)
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            _visit(child, scope, prefix, env)
    return None


def _taskflow_target(func: ast.expr, scope: _Scope) -> tuple[str, ast.Call | None, bool] | None:
    """(function name, ``.override(...)`` call or None, mapped) for a call of a task function."""
    if isinstance(func, ast.Name) and func.id in scope.task_functions:
        return func.id, None, False
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in scope.task_functions
        and func.attr in ("expand", "expand_kwargs")
    ):
        return func.value.id, None, True
    if (
        isinstance(func, ast.Call)
        and isinstance(func.func, ast.Attribute)
        and func.func.attr == "override"
        and isinstance(func.func.value, ast.Name)
        and func.func.value.id in scope.task_functions
    ):
        return func.func.value.id, func, False
    if isinstance(func, ast.Attribute) and func.attr in ("expand", "expand_kwargs"):
        partial = func.value
        if (  # ``add.partial(y=1).expand(x=[...])``: the mapped arguments are not needed
            isinstance(partial, ast.Call)
            and isinstance(partial.func, ast.Attribute)
            and partial.func.attr == "partial"
            and isinstance(partial.func.value, ast.Name)
            and partial.func.value.id in scope.task_functions
        ):
            return partial.func.value.id, None, True
        inner = (
            _taskflow_target(func.value.func, scope) if isinstance(func.value, ast.Call) else None
        )
        if inner is not None:
            return inner[0], inner[1], True
    return None


def _visit_call(call: ast.Call, scope: _Scope, prefix: str, env: dict[str, Any]) -> XComRef | None:
    target = _taskflow_target(call.func, scope)
    if target is not None:
        return _taskflow_call(call, target, scope, prefix, env)
    # Arguments first: ``load(transform(extract()))`` creates extract, then transform.
    for child in [*call.args, *(kw.value for kw in call.keywords)]:
        _visit(child, scope, prefix, env)
    if isinstance(call.func, ast.Attribute):
        _visit(call.func.value, scope, prefix, env)
    task_id_node = _keyword(call, "task_id")
    mapped = False
    operator_call = call
    if (
        task_id_node is None
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in ("expand", "expand_kwargs")
    ):
        partial = call.func.value
        if (
            isinstance(partial, ast.Call)
            and isinstance(partial.func, ast.Attribute)
            and partial.func.attr == "partial"
        ):
            task_id_node, mapped, operator_call = _keyword(partial, "task_id"), True, partial
    if task_id_node is None:
        return None
    func = operator_call.func
    if mapped and isinstance(func, ast.Attribute):
        func = func.value
    operator = scope.names.qualified(func) or ast.unparse(func)
    task_id = _literal_str(task_id_node, env)
    if task_id is None:
        scope.dag.unnamed.append((call.lineno, operator))
        return None
    site = TaskSite(
        f"{prefix}{task_id}", call.lineno, "operator", operator, operator_call, dict(env)
    )
    if mapped:
        site.blocked = "dynamic task mapping (.partial().expand()) is not supported"
    scope.dag.tasks[site.task_id] = site
    return XComRef(site.task_id, mapped=mapped)


def _taskflow_call(
    call: ast.Call,
    target: tuple[str, ast.Call | None, bool],
    scope: _Scope,
    prefix: str,
    env: dict[str, Any],
) -> XComRef | None:
    name, override, mapped = target
    function, decorator = scope.task_functions[name]
    decorator_kwargs = (
        {kw.arg: kw.value for kw in decorator.keywords if kw.arg}
        if isinstance(decorator, ast.Call)
        else {}
    )
    args = [_resolve(arg, scope, prefix, env) for arg in call.args]
    kwargs = {kw.arg: _resolve(kw.value, scope, prefix, env) for kw in call.keywords if kw.arg}
    # A task id given but not literal is not the function's name: the task is unnamed.
    given = [decorator_kwargs.get("task_id")]
    if override is not None:
        given.append(_keyword(override, "task_id"))
        decorator_kwargs.update({kw.arg: kw.value for kw in override.keywords if kw.arg})
    base = name
    for node in given:
        if node is None:
            continue
        literal = _literal_str(node, env)
        if literal is None:
            scope.dag.unnamed.append((call.lineno, "@task"))
            return None
        base = literal
    task_id = f"{prefix}{base}"
    count = scope.counts.get(task_id, 0)
    scope.counts[task_id] = count + 1
    if count:
        task_id = f"{task_id}__{count}"
    flavor = _decorator_flavor(scope.names, decorator, _TASK_DECORATORS) or "python"
    site = TaskSite(
        task_id,
        call.lineno,
        "taskflow",
        "@task" if flavor == "python" else f"@task.{flavor}",
        call,
        dict(env),
        function=function,
        decorator_kwargs=decorator_kwargs,
        args=args,
        kwargs=kwargs,
    )
    if mapped:
        site.blocked = "dynamic task mapping (.expand()) is not supported"
    scope.dag.tasks[task_id] = site
    return XComRef(task_id, mapped=mapped)


def _resolve(node: ast.expr, scope: _Scope, prefix: str, env: dict[str, Any]) -> ArgValue:
    if isinstance(node, ast.Name) and node.id in scope.bindings:
        return scope.bindings[node.id]
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        ref = scope.bindings.get(node.value.id)
        key = _literal_str(node.slice, env)
        if ref is not None and key is not None:
            return XComRef(ref.task_id, key, ref.mapped)
    ref = _visit(node, scope, prefix, env)
    if ref is not None:
        return ref
    try:
        return evaluate(node, env)
    except NotLiteral:
        return Unresolved(node)
