"""Driver for a state-backed Airflow component, ours or dagster-airlift's (prints JSON).

Run by either side's python (imports only the standard library, dagster and
that side's package, plus ``workload.py``)::

    python drive_component.py project DIR ours|theirs URL DAGS   write a dg project
    python drive_component.py refresh DIR                        dg's refresh: refresh_state
    python drive_component.py load DIR server|worker             load the location from state

Ours is ``AirliftComponent`` reading an ``airlift.yaml`` with every task mapped;
theirs is ``AirflowInstanceComponent`` with the same mappings in ``defs.yaml``
(``task_mappings``), datasets and source code retrieval off. Both keep their
state on the local filesystem (``LOCAL_FILESYSTEM``), no refresh at load.

``load server`` is what a code server does at start (``INITIALIZATION``: the
latest state); ``load worker`` is what a run worker does (``RECONSTRUCTION``
with the state version recorded by the code server). Each is a fresh process;
``import dagster`` happens before the clock starts, as in the other drivers.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import dagster as dg
from dagster._core.definitions.definitions_load_context import (
    DefinitionsLoadContext,
    DefinitionsLoadType,
)
from dagster._core.definitions.repository_definition.repository_definition import (
    RepositoryLoadData,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workload

MODULE = "bench_airlift_project"
DEFS_YAML = """\
type: airlift_component.component.AirliftComponent
attributes:
  airlift_yaml: airlift.yaml
  defs_state: {management_type: LOCAL_FILESYSTEM, refresh_if_dev: false}
"""


def _theirs_defs_yaml(url: str, dags: int) -> str:
    mappings = [
        {
            "dag_id": workload.dag_id(i),
            "task_mappings": [
                {
                    "task_id": workload.task_id(j),
                    "assets": [
                        {
                            "spec": {
                                "key": "/".join(workload.asset_key(i, j)),
                                "deps": ["/".join(workload.asset_key(i, j - 1))] if j else [],
                            }
                        }
                    ],
                }
                for j in range(workload.TASKS)
            ],
        }
        for i in range(dags)
    ]
    body = {
        "type": "dagster_airlift.core.components.AirflowInstanceComponent",
        "attributes": {
            "name": workload.INSTANCE,
            "auth": {
                "type": "basic_auth",
                "webserver_url": url,
                "username": workload.USERNAME,
                "password": workload.PASSWORD,
            },
            "filter": {"retrieve_datasets": False},
            "source_code_retrieval_enabled": False,
            "mappings": mappings,
            "defs_state": {"management_type": "LOCAL_FILESYSTEM", "refresh_if_dev": False},
        },
    }
    return json.dumps(body, indent=1)  # JSON is YAML


def cmd_project(root: Path, side: str, url: str, dags: int) -> None:
    package = root / "src" / MODULE
    (package / "defs" / "airflow").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench-airlift-project"\nversion = "0"\n\n'
        f'[tool.dg]\ndirectory_type = "project"\n\n[tool.dg.project]\nroot_module = "{MODULE}"\n'
    )
    (package / "__init__.py").write_text("")
    (package / "definitions.py").write_text(
        "from pathlib import Path\n\nimport dagster as dg\n\n"
        "defs = dg.components.load_from_defs_folder(path_within_project=Path(__file__).parent)\n"
    )
    folder = package / "defs" / "airflow"
    if side == "ours":
        (folder / "defs.yaml").write_text(DEFS_YAML)
        workload.write_airlift_yaml(folder / "airlift.yaml", url, dags)
    else:
        (folder / "defs.yaml").write_text(_theirs_defs_yaml(url, dags))


def _component(root: Path) -> dg.components.Component:
    from dagster.components.core.component_tree import ComponentTree

    sys.path.insert(0, str(root / "src"))
    tree = ComponentTree.for_project(root)
    return tree.load_component(Path("airflow"))


def cmd_refresh(root: Path) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    component = _component(root)
    asyncio.run(component.refresh_state(root))  # type: ignore[attr-defined]
    print(
        json.dumps(
            {"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}
        )
    )


def cmd_load(root: Path, role: str) -> None:
    sys.path.insert(0, str(root / "src"))
    if (root / "src" / MODULE / "defs" / "airflow" / "airlift.yaml").exists():
        from airlift_component.airflow_api import client as _client  # noqa: F401
    info_file = root / "defs_state_info.json"
    if role == "worker":
        info = dg.deserialize_value(info_file.read_text())
        DefinitionsLoadContext.set(
            DefinitionsLoadContext(
                DefinitionsLoadType.RECONSTRUCTION,
                RepositoryLoadData(reconstruction_metadata={}, defs_state_info=info),  # type: ignore[arg-type]
            )
        )
    else:
        DefinitionsLoadContext.set(DefinitionsLoadContext(DefinitionsLoadType.INITIALIZATION))
    wall, cpu = time.perf_counter(), time.process_time()
    module = __import__(f"{MODULE}.definitions", fromlist=["defs"])
    repo = module.defs.get_repository_def()
    assets = len(repo.asset_graph.get_all_asset_keys())
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    if role == "server":
        info = DefinitionsLoadContext.get().accessed_defs_state_info
        info_file.write_text(dg.serialize_value(info))
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "assets": assets}))


if __name__ == "__main__":
    command, folder = sys.argv[1], Path(sys.argv[2])
    if command == "project":
        cmd_project(folder, sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif command == "refresh":
        cmd_refresh(folder)
    else:
        cmd_load(folder, sys.argv[3])
