"""The one-command demo: the whole airlift loop on a real Airflow 3 and a real Dagster.

``scripts/demo`` runs this after ``scripts/setup``. It copies ``example_project/``
to ``.demo/work`` (so flipping a flag never touches the checkout), then:

1. starts Airflow 3 with the example DAGs and Dagster (webserver + daemon) with
   the example code location, both on 127.0.0.1 with SQLite;
2. triggers the three DAGs and waits until Dagster shows the materializations
   the sensor observed;
3. runs ``airlift proxy on customers_etl transform.clean`` on the copy, waits for
   Airflow to re-parse the DAG, triggers it again and shows the Dagster run that
   the Airflow task launched;
4. prints where to look and keeps both running until Ctrl-C (``--headless``:
   exits 0 after the checks, non-zero with a message on failure).

The last line of a headless run is ``DEMO_SUMMARY {json}`` for machines.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from devtools.demo_dagster import materializations, runs_tagged
from devtools.demo_ports import PortError, choose_port
from devtools.local_stack import AirflowServer, DagsterServer, StackStartError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "example_project"
INSTANCE = "local"
DAG_IDS = ("customers_etl", "regional_sales", "daily_report")
PROXIED_DAG, PROXIED_TASK = "customers_etl", "transform.clean"
PROXIED_ASSET = "staging/customers_clean"
#: An asset of the proxied DAG whose task stays in Airflow after the flip.
STILL_OBSERVED_ASSET = "staging/customers_enriched"
SUMMARY_PREFIX = "DEMO_SUMMARY "
#: Written into the work dir; only a folder holding it is ever wiped.
WORK_MARKER = ".airlift-demo-work"
T = TypeVar("T")


class DemoError(Exception):
    """A step of the demo failed; the message says which and what to look at."""


class Stopped(Exception):
    """Ctrl-C or SIGTERM."""


class Demo:
    """One run of the demo; :meth:`run` returns the summary, :meth:`stop` cleans up."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.work_dir).resolve()
        self.project = self.work / "example_project"
        self.started = time.monotonic()
        self.airflow: AirflowServer | None = None
        self.dagster: DagsterServer | None = None
        self.summary: dict[str, Any] = {"ok": False}

    def say(self, message: str) -> None:
        print(f"[demo {time.monotonic() - self.started:6.1f}s] {message}", flush=True)

    # -- steps -----------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        airflow_port = choose_port(self.args.airflow_port, 8080, "--airflow-port", "Airflow")
        dagster_port = choose_port(self.args.dagster_port, 3000, "--dagster-port", "Dagster")
        if airflow_port == dagster_port:
            raise PortError(f"Airflow and Dagster cannot share port {airflow_port}")
        self.prepare_work_copy()
        self.start_airflow(airflow_port, dagster_port)
        self.start_dagster(dagster_port)
        # the report summarizes the warehouse tables the other two DAGs load
        first_runs = self.run_dags(DAG_IDS[:2]) | self.run_dags(DAG_IDS[2:])
        observed = self.wait_for_observed(first_runs)
        self.flip()
        proxied = self.run_proxied()
        progress = self.write_progress_page()
        self.summary.update(
            ok=True,
            airflow_url=self.airflow.url if self.airflow else None,
            dagster_url=self.dagster.url if self.dagster else None,
            work_dir=str(self.work),
            airflow_runs=first_runs,
            observed=observed,
            proxied=proxied,
            progress_page=str(progress),
            seconds=round(time.monotonic() - self.started, 1),
        )
        return self.summary

    def prepare_work_copy(self) -> None:
        marker = self.work / WORK_MARKER
        if self.work.exists() and any(self.work.iterdir()):
            earlier_demo = (self.work / "example_project" / "airlift.yaml").exists()
            if not (marker.exists() or earlier_demo):
                raise DemoError(
                    f"--work-dir {self.work} is not empty and was not made by the demo; "
                    "pick an empty or new folder (the demo wipes it on every run)"
                )
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True, exist_ok=True)
        marker.write_text("made by scripts/demo; wiped on its next run\n")
        shutil.copytree(
            EXAMPLE, self.project, ignore=shutil.ignore_patterns(".data", ".airlift", "__pycache__")
        )
        self.say(f"copied example_project to {self.project} (flags are flipped on this copy)")

    def start_airflow(self, port: int, dagster_port: int) -> None:
        dags = self.project / "airflow" / "dags"
        self.say(
            f"starting Airflow 3 on http://127.0.0.1:{port} (api-server, scheduler, dag-processor)"
        )
        self.airflow = AirflowServer(
            3,
            home=self.work / "airflow-home",
            dags_folder=dags,
            port=port,
            env_overrides={
                "DAGSTER_URL": f"http://127.0.0.1:{dagster_port}",
                "AIRLIFT_INSTANCE": INSTANCE,
                "AIRLIFT_EXAMPLE_DATA": str(self.work / "data"),
                "PYTHONPATH": str(dags),
                # only the demo's own runs: no @daily run competing for the 2 cores
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            },
        )
        self.airflow.start()  # assigned first, so Ctrl-C during start still stops it
        self.say(
            f"Airflow is up in {self.airflow.startup_seconds:.0f} s; waiting for the DAGs to parse"
        )
        for dag_id in DAG_IDS:
            self.airflow.wait_for_dag(dag_id, timeout=120)
        self.say(f"Airflow parsed {', '.join(DAG_IDS)}")

    def start_dagster(self, port: int) -> None:
        assert self.airflow is not None
        code = self.project / "dagster"
        airflow_env = {
            "AIRFLOW_URL": self.airflow.url,
            "AIRFLOW_USERNAME": self.airflow.username,
            "AIRFLOW_PASSWORD": self.airflow.password,
        }
        self.refresh_state(code, airflow_env)
        self.say(f"starting Dagster (webserver + daemon) on http://127.0.0.1:{port}")
        self.dagster = DagsterServer(
            self.work / "dagster-home",
            ["-m", "airlift_example.definitions", "-d", str(code)],
            env={**airflow_env, "AIRLIFT_EXAMPLE_DATA": str(self.work / "data")},
            daemon=True,
            port=port,
            cwd=code,
        )
        self.dagster.start()
        self.say(
            f"Dagster loaded the example code location in {self.dagster.startup_seconds:.0f} s"
        )

    def refresh_state(self, code: Path, airflow_env: dict[str, str]) -> None:
        """`airlift refresh`: the component loads the Airflow state from its state file
        and never fetches it on a load (the CI step of a real deployment)."""
        command = [sys.executable, "-m", "airlift_component", "refresh", "--config",
                   str(self.project / "airlift.yaml"), "--project", str(code)]  # fmt: skip
        self.say("$ airlift refresh   (the Airflow state the component loads)")
        env = {**os.environ, **airflow_env}
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        for line in (result.stdout + result.stderr).splitlines():
            self.say(f"  {line}")
        if result.returncode != 0:
            raise DemoError(f"airlift refresh failed with exit code {result.returncode}")

    def run_dags(self, dag_ids: Sequence[str]) -> dict[str, str]:
        assert self.airflow is not None
        runs = {dag_id: self.airflow.trigger(dag_id) for dag_id in dag_ids}
        self.say(f"triggered {', '.join(f'{d} ({r})' for d, r in runs.items())}")
        for dag_id, run_id in runs.items():
            state = self.airflow.wait_for_run(dag_id, run_id, timeout=self.args.step_timeout)
            if state != "success":
                raise DemoError(
                    f"Airflow run {run_id} of {dag_id} ended {state}; see its task logs at "
                    f"{self.airflow.url}/dags/{dag_id}/runs"
                )
            self.say(f"Airflow run of {dag_id} succeeded")
        return runs

    def mapped_assets(self) -> dict[str, list[str]]:
        """Mapped asset keys per DAG, read from the work copy's airlift.yaml."""
        from airlift_component.config.airlift_yaml.load import load_airlift_file

        model = load_airlift_file(self.project / "airlift.yaml", environ={"AIRFLOW_PASSWORD": "-"})
        instance = model.instance(INSTANCE)
        return {
            mapping.dag: [spec.key for task in mapping.tasks for spec in task.assets]
            for mapping in instance.mappings
        }

    def wait_for_observed(self, runs: dict[str, str]) -> dict[str, int]:
        """Wait until every mapped asset (and DAG asset) of ``runs`` is materialized from
        that very Airflow run; returns, per asset key, how many times it was."""
        mapped = self.mapped_assets()
        expected = {key: run_id for dag, run_id in runs.items() for key in mapped[dag]}
        expected.update({f"{INSTANCE}/dag/{dag}": run_id for dag, run_id in runs.items()})
        self.say(f"waiting for the sensor to record {len(expected)} assets in Dagster")
        counts: dict[str, int] = {}

        def probe() -> dict[str, int] | None:
            for key, run_id in expected.items():
                if not counts.get(key):
                    found = materializations(self.dagster_graphql, key)
                    counts[key] = sum(1 for m in found if m.airflow_run_id == run_id)
            return dict(counts) if all(counts.values()) else None

        observed = self.poll(
            probe,
            "the sensor's materializations",
            lambda: [k for k in expected if not counts.get(k)],
        )
        self.say(f"Dagster shows the observed materializations of all {len(observed)} assets")
        return observed

    def flip(self) -> None:
        assert self.airflow is not None
        command = [sys.executable, "-m", "airlift_component", "proxy", "on", PROXIED_DAG,
                   PROXIED_TASK, "--config", str(self.project / "airlift.yaml")]  # fmt: skip
        self.say(f"$ airlift proxy on {PROXIED_DAG} {PROXIED_TASK}")
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        for line in (result.stdout + result.stderr).splitlines():
            self.say(f"  {line}")
        if result.returncode != 0:
            raise DemoError(f"airlift proxy on failed with exit code {result.returncode}")
        self.say("waiting for Airflow to re-parse customers_etl (tag airlift:proxied_tasks=1)")
        self.airflow.wait_for_dag_tags(
            PROXIED_DAG, lambda tags: "airlift:proxied_tasks=1" in tags, timeout=120
        )
        self.say(f"Airflow now runs {PROXIED_DAG}.{PROXIED_TASK} as a Dagster proxy task")

    def run_proxied(self) -> dict[str, Any]:
        assert self.airflow is not None and self.dagster is not None
        airflow_run = self.run_dags([PROXIED_DAG])[PROXIED_DAG]

        def launched() -> Any:
            runs = runs_tagged(self.dagster_graphql, "airlift/airflow_run_id", airflow_run)
            return runs[0] if runs else None

        run = self.poll(launched, "the Dagster run launched by Airflow", lambda: airflow_run)
        if run.status != "SUCCESS":
            raise DemoError(
                f"Dagster run {run.run_id} ended {run.status}: {self.run_url(run.run_id)}"
            )
        mats = [
            m
            for m in materializations(self.dagster_graphql, PROXIED_ASSET)
            if m.run_id == run.run_id
        ]
        if not mats:
            raise DemoError(f"Dagster run {run.run_id} did not materialize {PROXIED_ASSET}")
        self.say(
            f"Airflow task {PROXIED_DAG}.{PROXIED_TASK} launched Dagster run {run.run_id}: "
            f"{run.status}, materialized {PROXIED_ASSET}"
        )

        def still_observed() -> Any:
            found = materializations(self.dagster_graphql, STILL_OBSERVED_ASSET)
            return next((m for m in found if m.airflow_run_id == airflow_run), None)

        observed = self.poll(still_observed, f"{STILL_OBSERVED_ASSET} observed from {airflow_run}",
                             lambda: airflow_run)  # fmt: skip
        self.say(f"the tasks still in Airflow were observed again ({STILL_OBSERVED_ASSET})")
        return {
            "airflow_run_id": airflow_run,
            "dagster_run_id": run.run_id,
            "status": run.status,
            "assets": run.assets,
            "asset": PROXIED_ASSET,
            "run_url": self.run_url(run.run_id),
            "still_observed": {"asset": observed.key, "airflow_run_id": observed.airflow_run_id},
        }

    def write_progress_page(self) -> Path:
        """``airlift proxy status --format html``: the page a team would share."""
        page = self.work / "migration-progress.html"
        command = [sys.executable, "-m", "airlift_component", "proxy", "status", "--format", "html",
                   "--output", str(page), "--config", str(self.project / "airlift.yaml")]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DemoError(
                f"airlift proxy status failed: {(result.stdout + result.stderr).strip()}"
            )
        self.say(f"migration progress (1 of 13 tasks in Dagster): {page}")
        return page

    # -- helpers ---------------------------------------------------------------

    def dagster_graphql(self, query: str, variables: Any) -> dict[str, Any]:
        assert self.dagster is not None
        return self.dagster.graphql(query, variables)

    def run_url(self, run_id: str) -> str:
        return f"{self.dagster.url if self.dagster else ''}/runs/{run_id}"

    def poll(self, probe: Callable[[], T | None], what: str, state: Callable[[], Any]) -> T:
        deadline = time.monotonic() + self.args.step_timeout
        while True:
            result = probe()
            if result is not None:
                return result
            if time.monotonic() >= deadline:
                raise DemoError(
                    f"timed out after {self.args.step_timeout:.0f} s waiting for {what} "
                    f"(still missing: {state()}); logs: {self.work}/*-home/process-logs/"
                )
            time.sleep(1.0)

    def stop(self) -> bool:
        """Stop whatever was started; True when there was something to stop."""
        servers = [server for server in (self.dagster, self.airflow) if server is not None]
        for server in servers:
            server.stop()
        self.dagster = self.airflow = None
        return bool(servers)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


class _HeldSignals:
    """SIGINT and SIGTERM counted, not raised, while the demo stops its servers: an
    exception in the middle of :meth:`Demo.stop` would leave Airflow or Dagster half
    stopped and end the demo with a traceback. The demo is a program, so it may own
    these handlers; :meth:`release` puts back the ones it found."""

    def __init__(self) -> None:
        self.count = 0
        self._previous: dict[signal.Signals, Any] = {}

    def _count(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1

    def hold(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signum not in self._previous:
                self._previous[signum] = signal.signal(signum, self._count)

    def release(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._previous.clear()


def _wait_forever(demo: Demo) -> None:
    assert demo.airflow is not None and demo.dagster is not None
    print(
        "\nThe demo is running:\n"
        f"  Airflow UI  {demo.airflow.url}  (user {demo.airflow.username}, "
        f"password {demo.airflow.password})\n"
        f"  Dagster UI  {demo.dagster.url}  (the proxied run: {demo.summary['proxied']['run_url']})\n"
        f"  Work copy   {demo.project}\n"
        f"  Progress    {demo.summary['progress_page']}\n"
        f"  Data        {demo.work / 'data'} (warehouse.db, reports/latest.md)\n"
        "  Try: airlift proxy off customers_etl transform.clean "
        f"--config {demo.project / 'airlift.yaml'}\n"
        "Press Ctrl-C to stop Airflow and Dagster.",
        flush=True,
    )
    if not demo.args.no_browser:
        webbrowser.open(demo.dagster.url)
    threading.Event().wait()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--airflow-port",
        type=int,
        metavar="N",
        help="Airflow port (default 8080 if free, else any free port)",
    )
    parser.add_argument(
        "--dagster-port",
        type=int,
        metavar="N",
        help="Dagster port (default 3000 if free, else any free port)",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="for CI: no browser; exit 0 once every check passed, non-zero otherwise",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open the Dagster UI (keep running until Ctrl-C)",
    )
    parser.add_argument(
        "--skip-setup",
        action="store_true",
        help="do not run scripts/setup first: the virtualenvs exist already (read by scripts/demo)",
    )
    parser.add_argument(
        "--work-dir",
        default=str(ROOT / ".demo" / "work"),
        metavar="DIR",
        help="where the copy, the servers' homes and the data go (wiped first; default .demo/work)",
    )
    parser.add_argument(
        "--step-timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="seconds to wait for each step (default 300)",
    )
    return parser  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.headless:
        args.no_browser = True
    demo = Demo(args)
    held = _HeldSignals()
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        summary = demo.run()
        demo.say(f"done in {summary['seconds']} s: the whole loop works")
        print(SUMMARY_PREFIX + json.dumps(summary, sort_keys=True), flush=True)
        if not args.headless:
            _wait_forever(demo)
        return 0
    except (KeyboardInterrupt, Stopped):
        held.hold()  # a second Ctrl-C must not cut the stop short
        demo.say("stopping (interrupted)")
        return 0 if demo.summary["ok"] else 130
    except PortError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    except (DemoError, StackStartError) as exc:
        demo.say(f"FAILED: {exc}")
        print(SUMMARY_PREFIX + json.dumps({**demo.summary, "error": str(exc)}), flush=True)
        return 1
    finally:
        held.hold()
        if demo.airflow is not None or demo.dagster is not None:
            demo.say("stopping Airflow and Dagster (Ctrl-C is ignored until they have stopped)")
        try:
            if demo.stop():
                ignored = f" (ignored {held.count} further interrupt(s))" if held.count else ""
                demo.say(f"stopped Airflow and Dagster{ignored}")
        finally:
            held.release()
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
