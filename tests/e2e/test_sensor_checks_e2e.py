"""Asset checks on observed assets run once per Airflow run, and a tick stores its
materializations upstream first, on real Airflow 2.10 and 3 with a real Dagster
(webserver and daemon).

The code location is what a dagster-airlift user writes: ``build_defs`` merged
with their own ``@asset_check`` on a mapped asset and a Dagster built-in
freshness check (``build_last_update_freshness_checks``) on another; ``airlift.yaml``
declares a freshness check (``checks: [{type: freshness}]``) on the mapped asset
too. After N Airflow runs of ``raw_customers -> customers``, each check has exactly
one evaluation per Airflow run (the checks' Dagster runs carry the Airflow run they
check), also after the sensor ticked on; no check ran in a run the sensor did
not request, though the declared check's between-runs sensor ticked too. Per
Airflow run, ``raw_customers`` is stored before ``customers`` (task-id order would
store them the other way round).

The first launch of every checks' run fails (the instance's run launcher,
``devtools.local_stack.failing_checks_launcher``, raises for it, as a launcher does
under load): Dagster marks that run failed before it started, a later tick of the
sensor requests the next attempt (``<run key>:retry-1``), and the counts above hold
all the same: each check evaluated exactly once per Airflow run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from airlift_component.cli.main import main as airlift_cli
from airlift_component.component.check_requests import CHECKS_RUN_TAG
from devtools.local_stack import AirflowServer
from devtools.local_stack.failing_checks_launcher import INJECTED_FAILURE as INJECTED
from devtools.local_stack.processes import poll_for

DAG = "sensor_checks_chain"
RAW = dg.AssetKey(["chk", "raw_customers"])
CUSTOMERS = dg.AssetKey(["chk", "customers"])
USER_CHECK = dg.AssetCheckKey(CUSTOMERS, "customers_have_rows")
FRESHNESS = dg.AssetCheckKey(RAW, "freshness_check")
DECLARED = dg.AssetCheckKey(CUSTOMERS, "freshness_check")  # from airlift.yaml
CHECKS = (USER_CHECK, FRESHNESS, DECLARED)
RUNS = 3
RUN_TIMEOUT = 600.0

CODE = """\
import datetime

import dagster as dg

from airlift_component.component import build_defs


@dg.asset_check(asset=dg.AssetKey(["chk", "customers"]))
def customers_have_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


freshness = dg.build_last_update_freshness_checks(
    assets=[dg.AssetKey(["chk", "raw_customers"])],
    lower_bound_delta=datetime.timedelta(hours=6),
)

defs = dg.Definitions.merge(
    build_defs({airlift_yaml!r}),
    # Runs execute in their run worker: this test is about the checks, not the executor.
    dg.Definitions(asset_checks=[customers_have_rows, *freshness], executor=dg.in_process_executor),
)
"""


def _config(airflow: AirflowServer) -> dict[str, Any]:
    return {
        "version": 1,
        "instances": [
            {
                **airflow.instance_config(name="chk"),
                "dags": {"include": ["sensor_checks_*"]},
                "sensor": {"interval_seconds": 5, "lookback_hours": 1},
                "mappings": [
                    {
                        "dag": DAG,
                        "tasks": [
                            {"task": "raw_customers", "assets": ["chk/raw_customers"]},
                            {
                                "task": "customers",
                                "assets": [
                                    {
                                        "key": "chk/customers",
                                        "checks": [{"type": "freshness", "max_lag": "6h"}],
                                    }
                                ],
                            },
                        ],
                    }
                ],
            }
        ],
    }


def _evaluations(
    instance: dg.DagsterInstance, check: dg.AssetCheckKey, *, finished: bool = False
) -> Counter[str]:
    """Executions of ``check`` (with ``finished``: evaluated ones only) per Airflow run id
    its Dagster run checked (``""``: a run the sensor did not request)."""
    records = instance.event_log_storage.get_asset_check_execution_history(check, limit=1000)
    counts: Counter[str] = Counter()
    for record in records:
        if finished and record.status.value not in ("SUCCEEDED", "FAILED"):
            continue  # planned, or planned in a run that failed before it started
        run = instance.get_run_by_id(record.run_id)
        counts[run.tags.get(CHECKS_RUN_TAG, "") if run is not None else ""] += 1
    return counts


def _sensor_ticks(instance: dg.DagsterInstance, name: str = "airlift_chk_sensor") -> int:
    states = [s for s in instance.all_instigator_state() if s.name == name]
    if not states:
        return 0
    return len(instance.get_ticks(states[0].instigator_origin_id, states[0].selector_id))


@pytest.mark.timeout(1500)  # a Dagster start with its daemon, three DAG runs, 2 cores
def test_checks_run_once_per_airflow_run_and_upstream_is_stored_first(
    airflow: AirflowServer, dagster_server_factory: Any, tmp_path: Path
) -> None:
    airflow.wait_for_dag(DAG)
    airlift_yaml = tmp_path / "airlift.yaml"
    airlift_yaml.write_text(yaml.safe_dump(_config(airflow)))
    code = tmp_path / "checks_defs.py"
    code.write_text(CODE.format(airlift_yaml=str(airlift_yaml)))
    assert airlift_cli(["refresh", "--config", str(airlift_yaml)]) == 0
    launcher = {
        "run_launcher": {
            "module": "devtools.local_stack.failing_checks_launcher",
            "class": "FailFirstChecksLaunch",
        }
    }
    server = dagster_server_factory(
        str(code), daemon=True, extra_instance_yaml=yaml.safe_dump(launcher)
    )

    runs = []
    for _ in range(RUNS):  # one after the other: this machine's Airflow is a small one
        runs.append(airflow.trigger(DAG))
        assert airflow.wait_for_run(DAG, runs[-1], timeout=RUN_TIMEOUT) == "success"

    def evaluated() -> bool | None:
        with dg.DagsterInstance.from_config(str(server.home)) as instance:
            done = all(
                set(runs) <= set(_evaluations(instance, check, finished=True)) for check in CHECKS
            )
        return True if done else None

    def seen() -> str:
        with dg.DagsterInstance.from_config(str(server.home)) as instance:
            found = {c.to_user_string(): _evaluations(instance, c, finished=True) for c in CHECKS}
            launched = [
                (r.tags.get(CHECKS_RUN_TAG), r.tags.get("dagster/run_key"), r.status.value)
                for r in instance.get_runs(filters=dg.RunsFilter(tags={CHECKS_RUN_TAG: runs}))
            ]
        return (
            f"Airflow runs {runs}; evaluations per check and Airflow run: {found}; "
            f"checks' runs (Airflow run, run key, status): {launched}"
        )

    poll_for(
        evaluated,
        # Each checks' run is launched twice (the first launch fails by design), and a
        # real launch can fail too under load (the code server's 60 s gRPC timeout, seen
        # in CI), which the sensor retries on a later tick: room for a third launch.
        timeout=600,
        what="the checks of every Airflow run to run",
        interval=1.0,
        last_state=seen,
    )

    # A few more ticks: nothing is recorded or checked again.
    with dg.DagsterInstance.from_config(str(server.home)) as instance:
        ticks = _sensor_ticks(instance)

    def ticked_on() -> bool | None:
        with dg.DagsterInstance.from_config(str(server.home)) as instance:
            return True if _sensor_ticks(instance) >= ticks + 3 else None

    poll_for(ticked_on, timeout=120, what="three more sensor ticks", interval=1.0)

    with dg.DagsterInstance.from_config(str(server.home)) as instance:
        # The declared check's sensor between runs ticked, and asked for nothing.
        assert _sensor_ticks(instance, "airlift_chk_freshness_checks") > 0
        for check in CHECKS:
            counts = _evaluations(instance, check, finished=True)
            assert counts == Counter(dict.fromkeys(runs, 1)), (check.to_user_string(), counts)
            history = instance.event_log_storage.get_asset_check_execution_history(check, limit=10)
            assert {record.status.value for record in history} <= {"SUCCEEDED", "PLANNED"}
            for record in history:
                if record.status.value != "SUCCEEDED":  # planned by a launch that failed
                    (run,) = instance.get_run_records(dg.RunsFilter(run_ids=[record.run_id]))
                    assert run.dagster_run.status == dg.DagsterRunStatus.FAILURE, record
                    assert run.start_time is None, record
        stored = {
            key: {
                str(
                    record.asset_materialization.metadata["airflow/run_id"].value
                ): record.storage_id  # type: ignore[union-attr]
                for record in instance.fetch_materializations(key, limit=100).records
            }
            for key in (RAW, CUSTOMERS)
        }
        checks_runs = instance.get_runs(filters=dg.RunsFilter(tags={CHECKS_RUN_TAG: runs}))
        failures = {r.run_id: _failure_text(instance, r.run_id) for r in checks_runs}
    for run_id in runs:
        assert stored[RAW][run_id] < stored[CUSTOMERS][run_id], f"{run_id}: downstream first"
        # Its first checks' run failed to launch (the injected failure), before it started;
        # the sensor requested the next attempt until one ran: a real launch can fail too
        # on a loaded machine, and is retried the same way, up to three launches in all.
        mine = sorted(
            (r for r in checks_runs if r.tags[CHECKS_RUN_TAG] == run_id),
            key=lambda r: _attempt(r.tags["dagster/run_key"]),
        )
        launches = [(r.tags["dagster/run_key"], r.status.value, failures[r.run_id]) for r in mine]
        first_key = launches[0][0]
        assert [key for key, _, _ in launches] == [
            first_key,
            *(f"{first_key}:retry-{n}" for n in range(1, len(launches))),
        ], launches
        assert 2 <= len(launches) <= 3, launches
        assert [status for _, status, _ in launches] == [
            *(["FAILURE"] * (len(launches) - 1)),
            "SUCCESS",
        ], launches
        assert INJECTED in launches[0][2], launches


def _attempt(run_key: str) -> int:
    _, sep, number = run_key.rpartition(":retry-")
    return int(number) if sep else 0


def _failure_text(instance: dg.DagsterInstance, run_id: str) -> str:
    """What Dagster logged of a run's failure (its engine events' and failure's messages
    and errors), to name why a launch failed."""
    texts = []
    for record in instance.all_logs(
        run_id, of_type={dg.DagsterEventType.ENGINE_EVENT, dg.DagsterEventType.RUN_FAILURE}
    ):
        event = record.dagster_event
        if event is None:
            continue
        texts.append(event.message or "")
        data = event.event_specific_data
        error = getattr(data, "error", None)
        if error is not None:
            texts.append(error.to_string())
    return "\n".join(t for t in texts if t)
