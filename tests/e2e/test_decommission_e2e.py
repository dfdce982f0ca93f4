"""`airlift decommission` on real Airflow 2.10 and 3 with a real Dagster (webserver and
daemon): a cron DAG and an asset-triggered DAG move to Dagster and back.

The cron DAG (``* * * * *`` in Europe/Amsterdam) is decommissioned with
``--reload`` right after a minute boundary: the block's first tick is Airflow's next run, the
DAG ends paused once Dagster counts the schedule's ticks from before it, and the
daemon's first real tick of the Dagster schedule runs exactly the DAG's code asset
with the logical date and data interval Airflow would have given that run: the
interval right after the last one Airflow ran (no gap, no overlap). The daemon
first evaluates the new schedule at that very tick, the one it would lose if it
counted ticks only from then. The asset-triggered DAG gets an automation condition:
when the Dagster asset of the Airflow asset it was scheduled on is updated (reported
here as the airlift sensor records an Airflow asset event), Dagster runs the DAG's
code asset. ``--undo`` unpauses both and leaves airlift.yaml byte for byte as before.

The commands are the ones docs/migration-playbook.md's step 5 shows, run as written
(in the folder of airlift.yaml, ``$DAGSTER_URL`` set) with its DAG id replaced; the
two-step form (write, ``airlift reload``, run again to pause) for the asset-triggered
DAG, ``--reload`` for the cron DAG (one command between two of its runs). A daily DAG at 02:30 in Europe/Amsterdam
pins the boundary: the first Dagster tick and its dates are Airflow's next run's.

Dagster runs as deployed: the webserver and the daemon reach the code through one
code server, so the daemon takes up what a reload loads at once (with code servers
of its own it reads new code only once a minute). The asset-triggered DAG goes
first, so that its sensor's interval passes while the cron DAG waits for its
minute, and goes back while the cron DAG waits for its first tick (a reload then
costs the daemon nothing: the code server answers from the old code until the new
has loaded); the boundary is pinned beside them, in a folder of its own.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from airlift_component.cli.decommission_steps import dagster_definitions, sensor_has_ticked
from airlift_component.dagster_api import DagsterClient
from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.code_server import CodeServer
from devtools.local_stack.processes import poll_for

PROJECT = Path(__file__).parent / "projects" / "decommission"
PLAYBOOK = Path(__file__).resolve().parents[2] / "docs" / "migration-playbook.md"
INSTANCE = "decom"
CRON_DAG = "decommission_e2e_cron"
DAILY = "decommission_e2e_daily"
CONSUMER = "decommission_e2e_consumer"
CRON_OUT = dg.AssetKey(["decommission_e2e", "cron_out"])
REPORT = dg.AssetKey(["decommission_e2e", "report"])
STEP = timedelta(minutes=1)
#: How far ahead Airflow's next run of the cron DAG must be when the command starts:
#: room for writing, reloading and pausing on a loaded machine.
ROOM = timedelta(seconds=50)


def _airlift_yaml(airflow: AirflowServer, folder: Path) -> Path:
    (folder / "proxied_state").mkdir()
    for dag in (CRON_DAG, CONSUMER, DAILY):  # they run in Dagster as a whole
        (folder / "proxied_state" / f"{dag}.yaml").write_text("proxied: true\n")

    def code(task: str, attr: str) -> dict[str, Any]:
        return {"task": task, "code": f"decommission_e2e_assets:{attr}"}

    config = {
        "version": 1,
        "instances": [
            {
                **airflow.instance_config(name=INSTANCE),
                "dags": {"include": ["decommission_e2e_*"]},
                "sensor": {"interval_seconds": 5, "lookback_hours": 1},
                "proxied_state_dir": "proxied_state",
                "airflow_assets": {"enabled": True},
                "mappings": [
                    {"dag": CRON_DAG, "tasks": [code("work", "cron_out")]},
                    {"dag": CONSUMER, "tasks": [code("report", "report")]},
                    {"dag": DAILY, "tasks": [code("work", "daily_out")]},
                ],
            }
        ],
    }
    path = folder / "airlift.yaml"
    # A comment and a layout of a person's: --undo must give them back byte for byte.
    path.write_text("# decommission e2e\n" + yaml.safe_dump(config, sort_keys=False))
    return path


def _airlift(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airlift_component", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _playbook() -> list[list[str]]:
    """The commands of each bash block of the playbook's step 5, comments left out."""
    section = PLAYBOOK.read_text().split("## 5. Decommission", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("```", 1)[0] for block in section.split("```bash\n")[1:]]
    return [
        [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
        for block in blocks
    ]


def _as_written(command: str, dag: str, folder: Path, url: str) -> str:
    """Run a playbook command for ``dag`` in ``folder``; it must exit 0. Its stdout."""
    argv = shlex.split(command.replace("customers_etl", dag))
    assert argv[0] == "airlift", command
    done = subprocess.run(
        [sys.executable, "-m", "airlift_component", *argv[1:]],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=folder,
        env={**os.environ, "DAGSTER_URL": url},
    )
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done.stdout


def _paused(airflow: AirflowServer, dag: str) -> bool:
    found = airflow.get_dag(dag)
    assert found is not None, dag
    return bool(found["is_paused"])


def _details(airflow: AirflowServer, dag: str) -> dict[str, Any]:
    with airflow.client() as client:
        return client.dag_details(dag)


def _set_paused(airflow: AirflowServer, dags: tuple[str, ...], paused: bool) -> None:
    with airflow.client() as client:
        for dag in dags:
            client.set_paused(dag, paused)


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def _next_run(airflow: AirflowServer, dag: str) -> dict[str, datetime | None]:
    """Airflow's next run of ``dag``: logical date, data interval, run after."""
    details = _details(airflow, dag)
    v2 = airflow.version_major >= 3
    keys = {
        "logical": "next_dagrun_logical_date" if v2 else "next_dagrun",
        "start": "next_dagrun_data_interval_start",
        "end": "next_dagrun_data_interval_end",
        "after": "next_dagrun_run_after" if v2 else "next_dagrun_create_after",
    }
    return {name: _instant(details[k]) if details.get(k) else None for name, k in keys.items()}


def _ahead(airflow: AirflowServer, dag: str, margin: timedelta) -> datetime | None:
    """Airflow's next run of ``dag``, once it is more than ``margin`` ahead."""
    after = _next_run(airflow, dag)["after"]
    return after if after and after - datetime.now(timezone.utc) > margin else None


def _pin_the_dst_boundary(airflow: AirflowServer, folder: Path) -> None:
    """02:30 in Amsterdam: the first Dagster tick is Airflow's next run, with its dates.

    In ``folder``, an airlift.yaml of its own (no Dagster reads it)."""
    from airlift_component.component import build_defs

    folder.mkdir()
    config = _airlift_yaml(airflow, folder)
    assert _airlift("refresh", "--config", str(config)).returncode == 0
    poll_for(lambda: _ahead(airflow, DAILY, timedelta(0)), timeout=120, what="the next run")
    nxt = _next_run(airflow, DAILY)
    before = config.read_bytes()
    done = _airlift("decommission", DAILY, "--config", str(config))
    # Airflow (2.10 and 3) reports the server's timezone, UTC, for this DAG.
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pass the DAG's timezone with --timezone NAME" in done.stderr
    assert config.read_bytes() == before
    done = _airlift(
        "decommission", DAILY, "--config", str(config), "--timezone", "Europe/Amsterdam"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Airflow still runs the DAG" in done.stdout  # no --reload: nothing paused yet
    block = yaml.safe_load(config.read_text())["instances"][0]["mappings"][2]["decommissioned"]
    assert (block["cron"], block["timezone"]) == ("30 2 * * *", "Europe/Amsterdam")
    first = _instant(block["first_tick"])
    assert first == nxt["after"]
    defs = build_defs(config, refresh="never")
    schedule = defs.resolve_schedule_def(f"{INSTANCE}__{DAILY}__schedule")
    requests = []
    for tick in (first - timedelta(days=1), first):
        context = dg.build_schedule_context(
            scheduled_execution_time=tick, repository_def=defs.get_repository_def()
        )
        requests.append(list(schedule.evaluate_tick(context).run_requests or []))
    assert requests[0] == []  # the day before: Airflow's interval, skipped
    (request,) = requests[1]
    assert _instant(request.tags["airlift/logical_date"]) == nxt["logical"]
    assert _instant(request.tags["airlift/data_interval_start"]) == nxt["start"]
    assert _instant(request.tags["airlift/data_interval_end"]) == nxt["end"]
    done = _airlift("decommission", DAILY, "--undo", "--config", str(config))
    assert done.returncode == 0, done.stdout + done.stderr
    assert config.read_bytes() == before


def _dagster_runs(home: Path, dag: str) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        tags = {"airlift/dag": f"{INSTANCE}.{dag}"}
        return list(instance.get_runs(filters=dg.RunsFilter(tags=tags)))


def _sensor_ticked(url: str, name: str) -> bool | None:
    """Whether sensor ``name`` has evaluated once (its baseline for `newly updated`)."""
    with DagsterClient(url) as client:
        return sensor_has_ticked(client, name) or None


def _counts_ticks_from(url: str, name: str) -> datetime | None:
    """The start Dagster counts schedule ``name``'s ticks from, once stored."""
    with DagsterClient(url) as client:
        return dagster_definitions(client).schedules[name].counts_from


def _materialized(home: Path, run_id: str) -> set[dg.AssetKey]:
    """The keys a Dagster run materialized."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
    events = [record.event_log_entry.dagster_event for record in records]
    return {event.asset_key for event in events if event is not None and event.asset_key}


def _finished(home: Path, dag: str) -> list[dg.DagsterRun] | None:
    runs = _dagster_runs(home, dag)
    return runs if runs and all(run.is_finished for run in runs) else None


def _last_airflow_run(airflow: AirflowServer, dag: str) -> dict[str, Any]:
    runs = airflow.api.json("GET", f"/dags/{dag}/dagRuns", params={"limit": 100})["dag_runs"]
    scheduled = [run for run in runs if run["run_type"] == "scheduled"]
    assert scheduled, runs
    return max(scheduled, key=lambda run: _instant(run["data_interval_end"]))


@contextmanager
def _dagster(folder: Path, config: Path) -> Iterator[DagsterServer]:
    """A Dagster webserver and daemon on ``config``, through one code server."""
    # One process per run (in-process executor): this test is about the schedule and the
    # automation condition, not the deployed executor.
    (folder / "decommission_e2e_defs.py").write_text(
        "import dagster as dg\n\n"
        "from airlift_component.component import build_defs\n\n"
        "defs = dg.Definitions.merge(\n"
        f"    build_defs({str(config)!r}, refresh='never'),\n"
        "    dg.Definitions(executor=dg.in_process_executor),\n"
        ")\n"
    )
    home = folder / "dagster-home"
    env = {
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": os.pathsep.join([str(folder), str(PROJECT)]),
    }
    workspace = folder / "workspace.yaml"
    server = DagsterServer(home, ["-w", str(workspace)], env=env, daemon=True)
    server.write_instance_yaml()
    with CodeServer(
        "decommission_e2e_defs", "decommission", home=home, env=env, cwd=folder
    ) as code:
        workspace.write_text(code.workspace_yaml())
        with server:
            yield server


class _Phases:
    """Seconds since the test started, printed at each phase (``pytest -s`` shows them)."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def __call__(self, name: str) -> None:
        print(f"[decommission e2e {time.monotonic() - self._start:6.1f} s] {name}", flush=True)


@pytest.mark.timeout(900)  # a Dagster start, five reloads, a minute's cron's tick; 2 cores
def test_a_cron_and_an_asset_triggered_dag_move_to_dagster_and_back(
    airflow: AirflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    phase = _Phases()
    poll_for(lambda: airflow.get_dag(CONSUMER), timeout=120, what="the e2e DAGs to be parsed")
    config = _airlift_yaml(airflow, tmp_path)
    before = config.read_bytes()
    dags = (CRON_DAG, CONSUMER, DAILY)
    _set_paused(airflow, dags, False)
    monkeypatch.syspath_prepend(str(PROJECT))  # the in-process definitions import code:
    one_step, two_steps, undo, drift = _playbook()
    assert one_step[-1] == "airlift decommission customers_etl --reload"
    assert [c.split()[1] for c in two_steps] == ["decommission", "reload", "decommission"]
    assert undo == ["airlift decommission customers_etl --undo --reload"]
    try:
        with ThreadPoolExecutor(1) as beside:
            pinned = beside.submit(_pin_the_dst_boundary, airflow, tmp_path / "dst")
            assert _airlift("refresh", "--config", str(config)).returncode == 0
            phase("refreshed")
            with _dagster(tmp_path, config) as server:
                phase("Dagster started")
                _there_and_back(airflow, server, config, (one_step, two_steps, undo), phase)
                assert config.read_bytes() == before  # airlift.yaml is as it was
                for command in drift:
                    _as_written(command, CRON_DAG, tmp_path, server.url)
                phase("undone")
            pinned.result()
    finally:
        _set_paused(airflow, dags, True)


def _there_and_back(
    airflow: AirflowServer,
    server: DagsterServer,
    config: Path,
    playbook: tuple[list[str], list[str], list[str]],
    phase: _Phases,
) -> None:
    """Both DAGs to Dagster with the playbook's commands, the runs Dagster makes of
    them, and back to Airflow with --undo (Airflow runs both again)."""
    one_step, two_steps, undo = playbook
    url, folder = server.url, config.parent

    # The asset-triggered DAG, in two steps: an automation condition on the Airflow
    # asset's key.
    wrote, _, paused = (_as_written(c, CONSUMER, folder, url) for c in two_steps)
    assert "Airflow still runs the DAG" in wrote
    assert f"paused DAG '{CONSUMER}' in Airflow" in paused
    assert _paused(airflow, CONSUMER)
    block = yaml.safe_load(config.read_text())["instances"][0]["mappings"][1]
    assert block["decommissioned"]["on_assets"] == [
        f"{INSTANCE}/airflow_asset/s3/airlift-e2e/decommission/orders.csv"
    ]
    upstream = dg.AssetKey(block["decommissioned"]["on_assets"][0].split("/"))
    sensor = f"{INSTANCE}__{CONSUMER}__automation"
    assert _sensor_ticked(url, sensor)  # the command waited for it
    with dg.DagsterInstance.from_config(str(server.home)) as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(upstream))
    phase("asset-triggered DAG paused, its upstream updated")

    # The cron DAG, with --reload right after a minute boundary: Airflow's next run, a
    # minute ahead, is Dagster's first tick.
    *proxy, decommission = one_step
    for command in proxy:
        _as_written(command, CRON_DAG, folder, url)
    first = poll_for(
        lambda: _ahead(airflow, CRON_DAG, ROOM),
        timeout=300,
        interval=1,
        what=f"Airflow's next run {ROOM.seconds} s ahead (room for the reload)",
    )
    phase(f"a minute boundary, {(first - datetime.now(timezone.utc)).total_seconds():.1f} s ahead")
    assert f"paused DAG '{CRON_DAG}' in Airflow" in _as_written(decommission, CRON_DAG, folder, url)
    assert _paused(airflow, CRON_DAG)
    counted_from = _counts_ticks_from(url, f"{INSTANCE}__{CRON_DAG}__schedule")
    assert counted_from is not None and counted_from < first  # before Airflow was paused
    block = yaml.safe_load(config.read_text())["instances"][0]["mappings"][0]
    written = block["decommissioned"]
    # Airflow reports the server's timezone, UTC: the same ticks for this cron.
    assert (written["cron"], written["timezone"]) == ("* * * * *", "UTC")
    assert _instant(written["first_tick"]) == first
    assert written["paused_by_airlift"] is True
    last = _last_airflow_run(airflow, CRON_DAG)
    phase("cron DAG paused")

    # One real daemon tick of the schedule, one run of the automation condition.
    (report,) = poll_for(
        lambda: _finished(server.home, CONSUMER),
        timeout=300,
        interval=2,
        what="the automation's run",
    )
    assert report.status == dg.DagsterRunStatus.SUCCESS
    assert _materialized(server.home, report.run_id) == {REPORT}
    _as_written(undo[0], CONSUMER, folder, url)  # while the cron DAG waits for its tick
    assert not _paused(airflow, CONSUMER)
    phase("asset-triggered DAG back in Airflow")
    runs = poll_for(
        lambda: _finished(server.home, CRON_DAG), timeout=300, interval=2, what="the first tick"
    )
    phase("the cron DAG's first tick run in Dagster")
    dates = [r.tags["airlift/logical_date"] for r in runs]
    assert len(set(dates)) == len(dates)  # one run per logical date (later ticks may run)
    run = min(runs, key=lambda r: _instant(r.tags["airlift/logical_date"]))
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert _materialized(server.home, run.run_id) == {CRON_OUT}
    if written["logical_date"] == "interval_start":  # Airflow 2: the interval's start
        assert airflow.version_major == 2
        assert _instant(last["data_interval_end"]) == first - STEP
        assert _instant(run.tags["airlift/data_interval_start"]) == first - STEP
        assert _instant(run.tags["airlift/logical_date"]) == first - STEP
        assert _instant(run.tags["airlift/data_interval_end"]) == first
    else:  # Airflow 3: the tick itself
        assert airflow.version_major == 3
        assert _instant(last["logical_date"]) == first - STEP
        assert _instant(run.tags["airlift/logical_date"]) == first
    _as_written(undo[0], CRON_DAG, folder, url)
    assert not _paused(airflow, CRON_DAG)
