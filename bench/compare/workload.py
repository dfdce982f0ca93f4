"""The generated workload both projects are measured on (standard library only).

Imported by the drivers in *both* virtual environments (ours and dagster-airlift's),
so it must not import anything outside the standard library.

Shape: ``dags`` DAGs named ``dag_00000``…, each a chain of ``TASKS`` tasks
``task_00 → task_01 → …``; every task is mapped to one asset
``bench/dag_NNNNN/task_TT`` that depends on the asset of the task before it.
"""

from __future__ import annotations

import json
from pathlib import Path

TASKS = 10
INSTANCE = "bench"
USERNAME = "bench"
PASSWORD = "bench"


def dag_id(i: int) -> str:
    return f"dag_{i:05d}"


def task_id(j: int) -> str:
    return f"task_{j:02d}"


def task_graph(tasks: int = TASKS) -> dict[str, list[str]]:
    """Task id → downstream task ids (a chain)."""
    return {task_id(j): [task_id(j + 1)] if j + 1 < tasks else [] for j in range(tasks)}


def asset_key(i: int, j: int) -> list[str]:
    return [INSTANCE, dag_id(i), task_id(j)]


def write_airlift_yaml(path: Path, url: str, dags: int, tasks: int = TASKS) -> None:
    """Our ``airlift.yaml``: one instance, every task of every DAG mapped to one asset."""
    lines = [
        "version: 1",
        "instances:",
        f"  - name: {INSTANCE}",
        f"    url: {url}",
        "    api: v1",
        f"    auth: {{type: basic, username: {USERNAME}, password: {PASSWORD}}}",
        "    sensor: {interval_seconds: 30}",
        "    mappings:",
    ]
    for i in range(dags):
        lines += [f"      - dag: {dag_id(i)}", "        tasks:"]
        for j in range(tasks):
            deps = f"[{'/'.join(asset_key(i, j - 1))}]" if j else "[]"
            lines += [
                f"          - task: {task_id(j)}",
                f"            assets: [{{key: {'/'.join(asset_key(i, j))}, deps: {deps}}}]",
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_mapping_json(path: Path, dags: int, tasks: int = TASKS) -> None:
    """The same mapping for dagster-airlift's driver: ``[[dag_id, task_id, key, dep_key|None]]``."""
    rows = [
        [dag_id(i), task_id(j), asset_key(i, j), asset_key(i, j - 1) if j else None]
        for i in range(dags)
        for j in range(tasks)
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
