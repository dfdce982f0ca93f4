"""The keyword arguments of an operator call, split into what a translator reads and
what stays with Airflow (scheduling, retries, callbacks: the proxy operator keeps those)."""

from __future__ import annotations

import ast
from typing import Any

from airlift_component.generate.dag_finder import TaskSite
from airlift_component.generate.literals import NotLiteral, evaluate
from airlift_component.generate.refusals import Refusal

#: BaseOperator arguments that shape when and how Airflow runs the task, not what it
#: does: the proxy task is built from the original with them, so the asset ignores them.
AIRFLOW_SIDE_ARGS = frozenset(
    {
        "task_id", "dag", "owner", "email", "email_on_retry", "email_on_failure", "retries",
        "retry_delay", "retry_exponential_backoff", "max_retry_delay", "start_date",
        "end_date", "depends_on_past", "ignore_first_depends_on_past",
        "wait_for_past_depends_before_skipping", "wait_for_downstream", "priority_weight",
        "weight_rule", "queue", "pool", "pool_slots", "sla", "execution_timeout",
        "on_execute_callback", "on_failure_callback", "on_success_callback",
        "on_retry_callback", "on_skipped_callback", "pre_execute", "post_execute",
        "trigger_rule", "resources", "run_as_user", "task_concurrency",
        "max_active_tis_per_dag", "max_active_tis_per_dagrun", "executor", "executor_config",
        "inlets", "outlets", "task_group", "doc", "doc_md", "doc_json", "doc_yaml", "doc_rst",
        "task_display_name", "logger_name", "allow_nested_operators", "retry_policy",
        "multiple_outputs",
        "params",  # read by the plan: the task's params over the DAG's
    }
)  # fmt: skip


def operator_kwargs(site: TaskSite, known: frozenset[str]) -> dict[str, ast.expr]:
    """The call's keyword arguments the translator reads; :class:`Refusal` for ``**kw``
    and for any argument neither the translator nor Airflow's side knows."""
    found: dict[str, ast.expr] = {}
    for kw in site.call.keywords:
        if kw.arg is None:
            raise Refusal(
                "argument **" + ast.unparse(kw.value) + " not supported (not literal)",
                kw.value.lineno,
            )
        if kw.arg in AIRFLOW_SIDE_ARGS:
            continue
        if kw.arg not in known:
            raise Refusal(f"argument {kw.arg}= not supported", kw.value.lineno)
        found[kw.arg] = kw.value
    if site.call.args:
        raise Refusal("argument given by position not supported", site.call.lineno)
    return found


def literal(site: TaskSite, node: ast.expr, what: str) -> Any:
    """The value of ``node``; :class:`Refusal` naming ``what`` when it is not literal."""
    try:
        return evaluate(node, site.env)
    except NotLiteral:
        raise Refusal(
            f"argument {what}= is not a literal ({ast.unparse(node)})", node.lineno
        ) from None
