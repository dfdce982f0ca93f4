"""The names of the Dagster definitions that replace a decommissioned DAG's schedule.

Here, Dagster-free, so the command that checks them in Dagster and the component
that defines them agree.
"""

from __future__ import annotations

import re

_NOT_A_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_]")


def schedule_name(instance: str, dag_id: str) -> str:
    """``<instance>__<dag_id>__schedule``, with characters Dagster refuses in names as ``_``."""
    return _NOT_A_NAME_CHARACTER.sub("_", f"{instance}__{dag_id}__schedule")


def automation_sensor_name(instance: str, dag_id: str) -> str:
    """``<instance>__<dag_id>__automation``: the sensor evaluating an asset-triggered DAG's
    condition."""
    return _NOT_A_NAME_CHARACTER.sub("_", f"{instance}__{dag_id}__automation")
