"""Driver for dagster-airlift, run by the python of its throwaway venv (prints JSON).

Imports only the standard library, dagster and dagster_airlift (plus ``workload.py``).

    python drive_theirs.py defs  URL MAPPING.json STATE.json cold|warm
    python drive_theirs.py sensor URL MAPPING.json STATE.json     (then "tick" lines on stdin)

Cold builds fetch Airflow state (``build_defs_from_airflow_instance``) and save
the serialized state that dagster-airlift attaches to the definitions as
reconstruction metadata; warm builds load that state the way a Dagster run
worker does (``DefinitionsLoadType.RECONSTRUCTION``): dagster-airlift's only
path that skips the REST calls.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.definitions.definitions_load_context import (
    DefinitionsLoadContext,
    DefinitionsLoadType,
)
from dagster._core.definitions.repository_definition.repository_definition import (
    RepositoryLoadData,
)
from dagster_airlift.core import (
    AirflowBasicAuthBackend,
    AirflowInstance,
    assets_with_task_mappings,
    build_defs_from_airflow_instance,
)
from dagster_airlift.core.filter import AirflowFilter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import INSTANCE, PASSWORD, USERNAME


def mapped_defs(mapping_file: Path) -> dg.Definitions:
    by_dag: dict[str, dict[str, list[dg.AssetSpec]]] = {}
    for dag_id, task_id, key, dep in json.loads(mapping_file.read_text()):
        spec = dg.AssetSpec(key, deps=[dep] if dep else [])
        by_dag.setdefault(dag_id, {}).setdefault(task_id, []).append(spec)
    assets: list[Any] = []
    for dag_id, tasks in by_dag.items():
        assets.extend(assets_with_task_mappings(dag_id=dag_id, task_mappings=tasks))
    return dg.Definitions(assets=assets)


def build(url: str, mapping_file: Path, state_file: Path, mode: str) -> dg.Definitions:
    if mode == "warm":
        metadata = json.loads(state_file.read_text())
        context = DefinitionsLoadContext(
            DefinitionsLoadType.RECONSTRUCTION,
            RepositoryLoadData(reconstruction_metadata=metadata),
        )
    else:
        context = DefinitionsLoadContext(DefinitionsLoadType.INITIALIZATION)
    DefinitionsLoadContext.set(context)
    instance = AirflowInstance(
        auth_backend=AirflowBasicAuthBackend(
            webserver_url=url, username=USERNAME, password=PASSWORD
        ),
        name=INSTANCE,
    )
    defs = build_defs_from_airflow_instance(
        airflow_instance=instance,
        defs=mapped_defs(mapping_file),
        source_code_retrieval_enabled=False,
        retrieval_filter=AirflowFilter(retrieve_datasets=False),
    )
    if mode == "cold":
        state_file.write_text(json.dumps(dict(context.get_pending_reconstruction_metadata())))
    return defs


def cmd_defs(url: str, mapping_file: Path, state_file: Path, mode: str) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    defs = build(url, mapping_file, state_file, mode)
    repo = defs.get_repository_def()
    assets = len(repo.asset_graph.get_all_asset_keys())
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - wall,
                "cpu_seconds": time.process_time() - cpu,
                "assets": assets,
            }
        ),
        flush=True,
    )


def cmd_sensor(url: str, mapping_file: Path, state_file: Path) -> None:
    from dagster_airlift.core.sensor.sensor_builder import AirflowPollingSensorCursor

    defs = build(url, mapping_file, state_file, "warm")
    repo = defs.get_repository_def()
    (sensor,) = [s for s in repo.sensor_defs if s.name.endswith("airflow_dag_status_sensor")]
    # A code server resolves the asset graph when it loads the repository (for its
    # snapshot), before the daemon asks for any tick: not a tick's cost.
    repo.asset_graph  # noqa: B018
    instance = dg.DagsterInstance.ephemeral()
    cursor: str | None = None
    print(json.dumps({"ready": True}), flush=True)
    for _line in sys.stdin:
        wall, cpu = time.perf_counter(), time.process_time()
        events = ticks = 0
        while True:
            context = dg.build_sensor_context(instance=instance, cursor=cursor, repository_def=repo)
            result = sensor(context)
            ticks += 1
            events += len(result.asset_events)
            cursor = context.cursor
            state = dg.deserialize_value(cursor, AirflowPollingSensorCursor) if cursor else None
            if state is None or not state.dag_query_offset:
                break  # caught up: a tick that stopped at its time limit resumes at an offset
        print(
            json.dumps(
                {
                    "seconds": time.perf_counter() - wall,
                    "cpu_seconds": time.process_time() - cpu,
                    "events": events,
                    "ticks": ticks,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    command, url, mapping, state = sys.argv[1:5]
    if command == "defs":
        cmd_defs(url, Path(mapping), Path(state), sys.argv[5])
    else:
        cmd_sensor(url, Path(mapping), Path(state))
