"""Which tasks read a proxied task's XCom, and telling the user at parse time.

A proxied task returns only what its Dagster run hands back
(``airlift/xcom_return_value``, see :mod:`airflow_side.xcom_return`). When a
downstream task reads the task's XCom, through TaskFlow arguments, ``task.output``
or an ``xcom_pull`` in a template, the DAG keeps working only if the Dagster code
hands the value back: the proxy says so in the DAG processor's log, in the task's
docs in the UI, and again in the task log when a run hands nothing back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from airflow_side._compat import iter_xcom_references
from airlift_component.dagster_api import XCOM_RETURN_VALUE_METADATA

#: Attribute of a proxy operator: {consumer task id: XCom keys it reads}.
CONSUMERS_ATTR = "airlift_xcom_consumers"


def _template_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _template_strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _template_strings(item)


def _pulls_in_templates(task: Any, task_id: str) -> bool:
    pattern = re.compile(r"xcom_pull\([^)]*['\"]" + re.escape(task_id) + r"['\"]")
    for name in getattr(task, "template_fields", ()) or ():
        for text in _template_strings(getattr(task, name, None)):
            if pattern.search(text):
                return True
    return False


def xcom_consumers(dag: Any, task_id: str) -> dict[str, list[str]]:
    """Tasks of ``dag`` that read ``task_id``'s XCom, with the keys they read
    (``return_value``, a ``multiple_outputs`` key, or ``?`` for a template's
    ``xcom_pull``)."""
    found: dict[str, set[str]] = {}
    for other in dag.task_dict.values():
        if other.task_id == task_id:
            continue
        try:
            references = list(iter_xcom_references(other))
        except Exception:  # an unusual templated field must not break the DAG
            references = []
        for operator, key in references:
            if getattr(operator, "task_id", None) == task_id:
                found.setdefault(other.task_id, set()).add(key)
        if _pulls_in_templates(other, task_id):
            found.setdefault(other.task_id, set()).add("?")
    return {consumer: sorted(keys) for consumer, keys in sorted(found.items())}


def consumers_message(dag_id: str, task_id: str, consumers: Mapping[str, list[str]]) -> str:
    """The warning for a proxied task whose XCom other tasks read."""
    readers = ", ".join(
        f"{consumer} ({', '.join(keys)})" if keys != ["return_value"] else consumer
        for consumer, keys in consumers.items()
    )
    return (
        f"task {task_id!r} of DAG {dag_id!r} is proxied to Dagster, and its XCom is read "
        f"by {readers}: they get only what the Dagster run hands back, the materialization "
        f"metadata entry {XCOM_RETURN_VALUE_METADATA!r} of one of the task's assets "
        "(None without it); see docs/airflow-side.md, 'Return values (XCom)'"
    )


def note_consumers(dag: Any, original: Any, proxy: Any, log: logging.Logger) -> None:
    """Record on ``proxy`` which tasks read ``original``'s XCom, and warn (DAG
    processor log and the task's docs in the UI) when any do."""
    consumers = xcom_consumers(dag, original.task_id)
    setattr(proxy, CONSUMERS_ATTR, consumers)
    if not consumers:
        return
    message = consumers_message(dag.dag_id, original.task_id, consumers)
    log.warning("%s", message)
    note = f"**airlift:** {message}"
    current = getattr(proxy, "doc_md", None)
    proxy.doc_md = f"{current}\n\n{note}" if current else note
