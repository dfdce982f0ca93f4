"""The value a Dagster run hands back to Airflow as the proxied task's XCom.

Dagster code returns a value to Airflow by adding the materialization metadata
entry ``airlift/xcom_return_value`` (JSON, text, int, float, bool or None). The
proxy task returns it, so Airflow pushes it as the task's ``return_value`` (and,
for a TaskFlow task with ``multiple_outputs=True``, each key of the dict), as the
original task did. No Airflow import: tested without Airflow.
"""

from __future__ import annotations

import json
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
from airlift_component.dagster_api.types import ROOT_RUN_TAG
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
    (which one would Airflow get?), as are values that are not plain JSON or that
    exceed ``max_bytes`` as JSON text. Plain JSON is one rule for every kind
    of entry: no NaN or infinity (a float entry or a number inside JSON) and at
    most :data:`~airlift_component.dagster_api.metadata_values.MAX_JSON_DEPTH`
    levels of nesting. When ``run`` is a Dagster retry (from
    failure) that did not materialize the asset again, the newest earlier run of
    its chain that did answers.
    """
    handed = _read_one(client, run.run_id, max_bytes)
    if handed.found or run.root_run_id == run.run_id:
        return handed
    chain = client.find_runs({ROOT_RUN_TAG: run.root_run_id})
    earlier = [r.run_id for r in chain if r.run_id != run.run_id]  # newest first
    for run_id in [*earlier, run.root_run_id]:
        handed = _read_one(client, run_id, max_bytes)
        if handed.found:
            return handed
    return handed


def _read_one(client: DagsterClient, run_id: str, max_bytes: int) -> HandedBack:
    found: dict[str, Any] = {}
    where = f"Dagster run {run_id} ({run_page_url(client, run_id)})"
    for event in client.run_materializations(run_id):
        entry = event.entry(XCOM_RETURN_VALUE_METADATA)
        if entry is None:
            continue
        try:
            found[event.key_string] = entry_value(entry)
        except (UnsupportedMetadataEntry, ValueError, KeyError, TypeError) as exc:
            hint = "" if isinstance(exc, NotPlainJson) else f"; use {SUPPORTED_KINDS}"
            raise ReturnValueError(
                f"{where}: asset {event.key_string} set {XCOM_RETURN_VALUE_METADATA} to {exc}{hint}"
            ) from None
    if not found:
        return HandedBack(False)
    texts = {key: json.dumps(value, sort_keys=True) for key, value in found.items()}
    if len(set(texts.values())) > 1:
        raise ReturnValueError(
            f"{where}: assets {', '.join(sorted(found))} set different values of "
            f"{XCOM_RETURN_VALUE_METADATA}; let one asset of the task hand the value back"
        )
    size = len(next(iter(texts.values())).encode())
    if size > max_bytes:
        raise ReturnValueError(
            f"{where}: {XCOM_RETURN_VALUE_METADATA} is {size} bytes as JSON, over the "
            f"limit of {max_bytes}; hand back a path or URI to the data instead (or raise "
            "the operator's xcom_return_value_max_bytes)"
        )
    return HandedBack(True, next(iter(found.values())), tuple(sorted(found)))
