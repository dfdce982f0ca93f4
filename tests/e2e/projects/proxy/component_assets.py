"""Executable code for a task mapped in ``airlift.yaml`` (``code:``), used with the real component.

Importable as ``component_assets`` with this folder on ``PYTHONPATH``.
"""

import json
import os
from pathlib import Path

from dagster import AssetExecutionContext, asset


@asset(key=["proxy", "component_loaded"])
def component_loaded(context: AssetExecutionContext) -> None:
    out = Path(os.environ["PROXY_E2E_OUT"])
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "asset": "component_loaded",
        "run_id": context.run_id,
        "airflow_run_id": context.run.tags.get("airlift/airflow_run_id"),
        "airflow_task_id": context.run.tags.get("airlift/airflow_task_id"),
    }
    with (out / "component_loaded.jsonl").open("a") as handle:
        handle.write(json.dumps(record) + "\n")
