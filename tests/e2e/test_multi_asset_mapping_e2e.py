"""A task mapped to a whole ``@multi_asset`` in one line, on real Airflow 2.10 and 3 with a
real Dagster (webserver + daemon ticking the airlift sensor).

``airlift.yaml`` says ``- task: build_models`` / ``code: multi_asset_e2e_assets:models``
and lists none of its three keys. Observed: Dagster defines the three keys with the
multi-asset's lineage, and when Airflow runs the DAG the sensor records all three
from the task's try. Proxied (``airlift proxy on``): the next DAG run launches one
Dagster run that materializes the whole multi-asset, and the sensor does not record
those keys again from Airflow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from airlift_component.cli.main import main as airlift_cli
from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.processes import poll_for
from tests.e2e.airlift_yaml_support import airlift_config, dag_mapping, write_airlift_yaml
from tests.e2e.proxy_support import airflow_records, airlift, point_at_dagster, run_dag, set_state

PROJECT = Path(__file__).parent / "projects" / "multi_asset"
DAG = "proxy_multi_asset_dag"
INSTANCE = "multi"
KEYS = [
    dg.AssetKey(["models", "stg_customers"]),
    dg.AssetKey(["models", "customers"]),
    dg.AssetKey(["models", "orders"]),
]
REPORT = dg.AssetKey(["reports", "customers"])
OFF = "tasks:\n  - id: build_models\n    proxied: false\n"

DEFS = """
import dagster as dg

from airlift_component.component import build_defs

# One process per run (in-process executor): this test is not about the deployed
# executor, and a step worker per asset costs seconds on a loaded machine.
defs = dg.Definitions.merge(
    build_defs({airlift_yaml!r}, refresh="never"),
    dg.Definitions(executor=dg.in_process_executor),
)
"""


def _airlift_yaml(airflow: AirflowServer, path: Path) -> Path:
    tasks = [
        {"task": "extract", "assets": ["raw/customers"]},
        {"task": "build_models", "code": "multi_asset_e2e_assets:models"},
        {"task": "report", "assets": ["reports/customers"]},
    ]
    config = airlift_config(
        airflow, INSTANCE, dags=[DAG], mappings=[dag_mapping(DAG, tasks)], proxied_state=True
    )
    return write_airlift_yaml(path, config)


def _materializations(home: Path, airflow_run: str) -> dict[dg.AssetKey, list[str | None]]:
    """Per key, the Dagster run id of each materialization stored for ``airflow_run``
    (``None`` for one the sensor recorded from Airflow, outside any run)."""
    found: dict[dg.AssetKey, list[str | None]] = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for key in KEYS:
            for record in instance.fetch_materializations(key, limit=50).records:
                event = record.asset_materialization
                assert event is not None
                by_sensor = event.metadata.get("airflow/run_id")
                run = instance.get_run_by_id(record.run_id) if record.run_id else None
                tags = run.tags if run is not None else {}
                if by_sensor is not None and by_sensor.value == airflow_run:
                    found.setdefault(key, []).append(None)
                elif tags.get("airlift/airflow_run_id") == airflow_run:
                    found.setdefault(key, []).append(record.run_id)
    return found


def _task_states(airflow: AirflowServer, run_id: str) -> dict[str, str]:
    """Each task's state in ``run_id``, for a failure's message."""
    found = airflow.api.json("GET", f"/dags/{DAG}/dagRuns/{run_id}/taskInstances")
    states = {ti["task_id"]: ti["state"] for ti in found["task_instances"]}
    for task_id, state in list(states.items()):  # the loop adds the failed tasks' logs
        if state == "failed":
            path = f"/dags/{DAG}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1"
            resp = airflow.api.request("GET", path, params={"full_content": "true"})
            states[f"{task_id} log"] = resp.text[-3000:]
    return states


def _recorded(home: Path, key: dg.AssetKey, airflow_run: str) -> bool | None:
    """Whether the sensor stored ``key`` for ``airflow_run``."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for record in instance.fetch_materializations(key, limit=50).records:
            event = record.asset_materialization
            entry = event.metadata.get("airflow/run_id") if event is not None else None
            if entry is not None and entry.value == airflow_run:
                return True
    return None


def _all_keys(home: Path, airflow_run: str) -> dict[dg.AssetKey, list[str | None]] | None:
    found = _materializations(home, airflow_run)
    return found if set(found) == set(KEYS) else None


@pytest.mark.timeout(1500)  # a Dagster start with its daemon, a flip and two DAG runs, 2 cores
def test_multi_asset_mapped_in_one_line_is_observed_then_proxied(
    airflow: AirflowServer,
    dagster_server_factory: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    airflow.wait_for_dag(DAG)
    config = _airlift_yaml(airflow, tmp_path / "airlift.yaml")
    assert airlift_cli(["refresh", "--config", str(config)]) == 0

    # The keys and their lineage, as the code location defines them.
    monkeypatch.syspath_prepend(str(PROJECT))
    from airlift_component.component import build_defs

    graph = build_defs(config, refresh="never").resolve_asset_graph()
    assert {key for key in KEYS if graph.get(key).is_materializable} == set(KEYS)
    assert graph.get(KEYS[0]).parent_keys == {dg.AssetKey(["raw", "customers"])}
    assert graph.get(KEYS[1]).parent_keys == {KEYS[0]}
    assert graph.get(KEYS[2]).parent_keys == {KEYS[0]}
    for key in KEYS:
        tags = graph.get(key).to_asset_spec().tags
        assert tags["airlift/task"] == f"{INSTANCE}.{DAG}.build_models"

    defs = tmp_path / "defs.py"
    defs.write_text(DEFS.format(airlift_yaml=str(config)))
    server: DagsterServer = dagster_server_factory(
        defs, env={"PYTHONPATH": str(PROJECT)}, daemon=True
    )
    point_at_dagster(airflow, server.url, INSTANCE)
    set_state(airflow, DAG, OFF, "airlift:proxied_tasks=0")
    try:
        # Observed: Airflow runs build_models; the sensor records all three keys from it.
        observed, state = run_dag(airflow, DAG)
        assert state == "success", _task_states(airflow, observed)
        assert (DAG, "build_models") in airflow_records(airflow, observed)
        recorded = poll_for(
            lambda: _all_keys(server.home, observed), timeout=240, what="the sensor's records"
        )
        assert recorded == {key: [None] for key in KEYS}  # once each, from Airflow

        # Proxied: one Dagster run computes the whole multi-asset.
        # No --force: airlift.yaml maps build_models by code: alone, and proxy on takes that
        # as mapped (it reads airlift.yaml for the folder and the mapped tasks).
        flipped = airlift("proxy", "on", DAG, "build_models", "--config", str(config))
        assert "task 'build_models': proxied false -> true" in flipped.stdout, flipped.stdout
        assert "warning" not in flipped.stderr, flipped.stderr
        airflow.wait_for_dag_tags(DAG, lambda tags: "airlift:proxied_tasks=1" in tags, 180)
        proxied, state = run_dag(airflow, DAG)
        assert state == "success", _task_states(airflow, proxied)
        assert (DAG, "build_models") not in airflow_records(airflow, proxied)
        assert {(DAG, "extract"), (DAG, "report")} <= airflow_records(airflow, proxied)
        # Once the sensor has recorded report from this Airflow run, it has judged
        # build_models's try too (the proxy's Dagster run made its keys).
        poll_for(lambda: _recorded(server.home, REPORT, proxied), timeout=240, what="the sensor")
        made = _all_keys(server.home, proxied)
        assert made is not None, _materializations(server.home, proxied)
        runs = {run for key in KEYS for run in made[key]}
        assert len(runs) == 1 and None not in runs, made  # one Dagster run, nothing from Airflow
        with dg.DagsterInstance.from_config(str(server.home)) as instance:
            (run,) = [instance.get_run_by_id(run_id) for run_id in runs]
            assert run is not None and run.asset_selection == set(KEYS)
            assert run.tags["airlift/airflow_task_id"] == "build_models"
    finally:
        set_state(airflow, DAG, OFF, "airlift:proxied_tasks=0")
