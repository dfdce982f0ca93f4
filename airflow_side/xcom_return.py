"""The value a Dagster run hands back to Airflow as the proxied task's XCom.

Dagster code returns a value to Airflow by adding the materialization metadata
entry ``airlift/xcom_return_value`` (JSON, text, int, float, bool or None). The
proxy task returns it, so Airflow pushes it as the task's ``return_value`` (and,
for a TaskFlow task with ``multiple_outputs=True``, each key of the dict), as the
original task did. No Airflow import: tested without Airflow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from airflow_side._dagster_run import run_page_url
from airlift_component.dagster_api import XCOM_RETURN_VALUE_METADATA, DagsterClient, DagsterRun
from airlift_component.dagster_api.metadata_values import (
    SUPPORTED_KINDS,
    NotPlainJson,
    UnsupportedMetadataEntry,
    entry_value,
)
from airlift_component.dagster_api.types import PARENT_RUN_TAG
from airlift_component.errors import AirliftError

#: Largest value (as JSON text) handed back by default: XComs live in Airflow's
#: metadata database; hand back a path or URI to bigger data.
DEFAULT_MAX_BYTES = 64 * 1024


class ReturnValueError(AirliftError):
    """The Dagster run handed back a value Airflow cannot take as an XCom."""


@dataclass(frozen=True)
class HandedBack:
    """What a run handed back: ``found`` is False when no asset set the entry."""

    found: bool
    value: Any = None
    #: The assets whose materialization carried the entry (for logs).
    assets: tuple[str, ...] = ()


def read_return_value(
    client: DagsterClient, run: DagsterRun, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> HandedBack:
    """The ``airlift/xcom_return_value`` of ``run``'s materializations.

    Several assets may set it to the same value; different values are an error
    (which one would Airflow get?), whether set by two assets or by one asset
    materialized twice, as are values that are not plain JSON or that exceed
    ``max_bytes`` as JSON text. Plain JSON is one rule for every kind of entry: no
    NaN or infinity (a float entry or a number inside JSON) and at most
    :data:`~airlift_component.dagster_api.metadata_values.MAX_JSON_DEPTH` levels of
    nesting. When ``run`` is a Dagster re-execution (a retry from failure) that did
    not materialize the asset again, its nearest ancestor that did answers: its
    parent, the parent's parent, up to the root of its run group. Other
    re-executions of the group (siblings, their children) are never read: Airflow
    did not follow them.
    """
    handed = HandedBack(False)
    for run_id in _self_and_ancestors(client, run):
        handed = _read_one(client, run_id, max_bytes)
        if handed.found:
            return handed
    return handed


def _self_and_ancestors(client: DagsterClient, run: DagsterRun) -> Iterator[str]:
    """``run``'s id, then its parent's, and so on up to its root run (lazily: an
    ancestor's parent is asked of Dagster only when that ancestor is passed)."""
    root = run.root_run_id
    seen = {run.run_id}
    yield run.run_id
    current = run
    while current.run_id != root:
        parent = current.tags.get(PARENT_RUN_TAG) or root
        if parent in seen:  # tags that loop: stop rather than read forever
            return
        seen.add(parent)
        yield parent
        if parent == root:
            return
        current = client.get_run(parent)


def _read_one(client: DagsterClient, run_id: str, max_bytes: int) -> HandedBack:
    found: dict[str, dict[str, Any]] = {}  # asset -> JSON text -> value
    where = f"Dagster run {run_id} ({run_page_url(client, run_id)})"
    for event in client.run_materializations(run_id):
        entry = event.entry(XCOM_RETURN_VALUE_METADATA)
        if entry is None:
            continue
        try:
            value = entry_value(entry)
        except (UnsupportedMetadataEntry, ValueError, KeyError, TypeError) as exc:
            hint = "" if isinstance(exc, NotPlainJson) else f"; use {SUPPORTED_KINDS}"
            raise ReturnValueError(
                f"{where}: asset {event.key_string} set {XCOM_RETURN_VALUE_METADATA} to {exc}{hint}"
            ) from None
        found.setdefault(event.key_string, {})[json.dumps(value, sort_keys=True)] = value
    if not found:
        return HandedBack(False)
    twice = sorted(key for key, values in found.items() if len(values) > 1)
    if twice:
        raise ReturnValueError(
            f"{where}: asset {', '.join(twice)} was materialized more than once with "
            f"different values of {XCOM_RETURN_VALUE_METADATA}; let one materialization "
            "of the task hand the value back"
        )
    texts = {text for values in found.values() for text in values}
    if len(texts) > 1:
        raise ReturnValueError(
            f"{where}: assets {', '.join(sorted(found))} set different values of "
            f"{XCOM_RETURN_VALUE_METADATA}; let one asset of the task hand the value back"
        )
    text = next(iter(texts))
    size = len(text.encode())
    if size > max_bytes:
        raise ReturnValueError(
            f"{where}: {XCOM_RETURN_VALUE_METADATA} is {size} bytes as JSON, over the "
            f"limit of {max_bytes}; hand back a path or URI to the data instead (or raise "
            "the operator's xcom_return_value_max_bytes)"
        )
    value = next(iter(next(iter(found.values())).values()))
    return HandedBack(True, value, tuple(sorted(found)))
