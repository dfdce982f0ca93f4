"""Do generated example tasks do, proxied in the real loop, what Airflow's operators did?

For each Airflow (3 in ``.venv``, 2.10 in ``.venv-airflow2``) this starts a real
Airflow (:mod:`devtools.local_stack`) whose DAG folder holds Airflow's own bundled
example DAGs (each file as shipped, with ``proxying_to_dagster`` appended), writes
the module `airlift generate` writes for every example task it translates (see
:mod:`devtools.generate_coverage`), serves them from a real Dagster (webserver and
daemon) tagged as the component tags ``code:`` assets, and then, batch by batch
of DAGs that have a generated task:

1. triggers each DAG once with Airflow's own operators and records, per generated
   task, its state, its ``return_value`` XCom and (Bash) its output lines;
2. proxies every generated task of those DAGs (their ``proxied_state`` files),
   clears those tasks in the same DAG runs (same run id, logical date and data
   interval; their upstream tasks' XComs as Airflow's operators left them) and
   records the same again, the output lines from the Dagster run each proxy
   launched;
3. compares them (:mod:`devtools.generate_loop_effects`).

Every task's outcome is appended to ``--results`` (JSON lines) as its batch ends,
so a cut-off run keeps what it measured; the table printed at the end (or with
``--report``) is built from that file::

    nice -n 19 .venv/bin/python -m devtools.generate_coverage_loop --airflow 3 \\
        --results /tmp/loop.jsonl
    .venv/bin/python -m devtools.generate_coverage_loop --report --results /tmp/loop.jsonl

Slow (tens of minutes per Airflow on two cores) and not part of CI.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import quote

from airlift_component.generate.render import asset_name
from devtools.generate_coverage import ROOT, Found, example_folders, tasks
from devtools.generate_loop_effects import (
    Effect,
    airflow_effect,
    compare,
    compute_log_lines,
    lost_tries,
    rest,
    rest_json,
    task_instances,
)
from devtools.generate_run_coverage import _module_text
from devtools.local_stack import AirflowServer, DagsterServer

INSTANCE = "examples"
VENVS = {3: ROOT / ".venv", 2: ROOT / ".venv-airflow2"}
LABELS = {3: "Airflow 3", 2: "Airflow 2.10"}
SAME = "same effect as Airflow's operator"

#: Appended to every example DAG file that holds a generated task. DAGs made in a
#: ``with DAG(...)`` block without a name are found where Airflow registers them.
PROXY_CALL = """

def _airlift_coverage_proxy():  # appended by devtools.generate_coverage_loop
    from pathlib import Path as _Path

    from airflow_side import (
        DefaultProxyTaskToDagsterOperator,
        load_proxied_state_from_yaml,
        proxying_to_dagster,
    )

    class _PatientProxy(DefaultProxyTaskToDagsterOperator):
        # GraphQL answers slowly on a loaded two-core machine: 30 s is the default.
        dagster_request_timeout_seconds = 180.0

    try:
        from airflow.sdk.definitions._internal.contextmanager import DagContext
    except ImportError:
        from airflow.models.dag import DagContext
    found = dict(globals())
    for number, (dag, module) in enumerate(DagContext.autoregistered_dags):
        if getattr(module, "__name__", None) == __name__:
            found[f"_airlift_registered_{number}"] = dag
    state = load_proxied_state_from_yaml(_Path(__STATE_DIR__))
    proxying_to_dagster(
        global_vars=found, proxied_state=state, dagster_operator_klass=_PatientProxy
    )


_airlift_coverage_proxy()
"""

DEFINITIONS = """\
import importlib

import dagster as dg

from airlift_component.mapping_tags import mapping_metadata, mapping_tags

MODULES = {modules!r}
assets = []
for module, name, dag_id, task_id in MODULES:
    try:
        asset = getattr(importlib.import_module(f"cov.{{module}}"), name)
    except Exception as exc:  # one broken module must not hide the others
        print(f"cov.{{module}}: {{type(exc).__name__}}: {{exc}}")
        continue
    assets.append(
        asset.map_asset_specs(
            lambda spec, d=dag_id, t=task_id: spec.merge_attributes(
                tags=mapping_tags({instance!r}, d, t),
                metadata=mapping_metadata({instance!r}, d, t),
            )
        )
    )
defs = dg.Definitions(assets=assets)
"""


@dataclass(frozen=True)
class Task:
    """A generated example task, where its DAG file lives in the test DAG folder."""

    dag_id: str
    task_id: str
    kind: str
    module: str
    dag_file: Path


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def prepare(version: int, scratch: Path) -> list[Task]:
    """The DAG folder (examples copied, proxy call appended) and the Dagster project."""
    dags, package = scratch / "dags", scratch / "project" / "cov"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    copies: dict[Path, Path] = {}
    for number, folder in enumerate(example_folders(VENVS[version])):
        target = dags / f"examples_{number}"
        shutil.copytree(folder, target, ignore=shutil.ignore_patterns("__pycache__"))
        copies[folder] = target
    found_tasks: list[Task] = []
    for found in tasks(list(copies)):
        if not isinstance(found, Found) or found.translation is None or found.site is None:
            continue
        text = _module_text(found)
        if text is None:
            continue
        module = f"m{len(found_tasks)}"
        (package / f"{module}.py").write_text(text)
        folder = next(f for f in copies if found.source.path.is_relative_to(f))
        dag_file = copies[folder] / found.source.path.relative_to(folder)
        found_tasks.append(
            Task(found.dag.dag_id, found.site.task_id, found.translation.kind, module, dag_file)
        )
    state_dir = dags / "proxied_state"
    state_dir.mkdir()
    for dag_file in {task.dag_file for task in found_tasks}:
        dag_file.write_text(
            dag_file.read_text() + PROXY_CALL.replace("__STATE_DIR__", repr(str(state_dir)))
        )
    modules = [
        (t.module, asset_name(t.dag_id, t.task_id), t.dag_id, t.task_id) for t in found_tasks
    ]
    (package.parent / "definitions.py").write_text(
        DEFINITIONS.format(modules=modules, instance=INSTANCE)
    )
    return found_tasks


def wait_parsed(airflow: AirflowServer, files: dict[str, str], timeout: float) -> set[str]:
    """Poll until every DAG of ``files`` (DAG id -> file relative to the DAG folder) is
    listed or its file has an import error; returns the listed ones."""
    deadline = time.monotonic() + timeout
    while True:
        listed: set[str] = set()
        offset = 0
        while True:
            page = rest_json(airflow, "GET", "/dags", params={"limit": 100, "offset": offset})
            listed |= {str(d["dag_id"]) for d in page["dags"]}
            offset += 100
            if offset >= int(page["total_entries"]):
                break
        errors = rest_json(airflow, "GET", "/importErrors", params={"limit": 100})
        broken = [str(e.get("filename")) for e in errors.get("import_errors", [])]
        missing = {
            d for d in files if d not in listed and not any(b.endswith(files[d]) for b in broken)
        }
        if not missing or time.monotonic() > deadline:
            log(f"{len(listed & set(files))} DAGs parsed, import errors in {broken}")
            return listed & set(files)
        log(f"waiting for {len(missing)} DAGs to parse ({len(broken)} import errors so far)")
        time.sleep(10)  # a progress poll of a long parse, not a readiness stand-in


def point_at_dagster(airflow: AirflowServer, dagster: DagsterServer) -> None:
    connection = {
        "connection_id": "dagster_default",
        "conn_type": "http",
        "host": dagster.url,
        "extra": json.dumps({"instance": INSTANCE}),
    }
    rest(airflow, "DELETE", "/connections/dagster_default")
    rest_json(airflow, "POST", "/connections", json=connection)


def trigger(airflow: AirflowServer, dag_id: str) -> str:
    """Start a run of ``dag_id`` now; its run id. Airflow's refusal is a RuntimeError
    whose one-line message holds what Airflow said (:func:`refusal`)."""
    path = f"/dags/{dag_id}/dagRuns"
    body = {"conf": {}, "logical_date": datetime.now(UTC).isoformat()}
    response = rest(airflow, "POST", path, json=body)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"POST {path} -> {response.status_code}: {refusal(response.text)}")
    return str(response.json()["dag_run_id"])


def refusal(body: str, limit: int = 300) -> str:
    """One line of at most ``limit`` characters for an error answer of Airflow's REST
    API: the JSON's ``detail`` (Airflow 3 and Airflow 2's problem documents), else its
    ``title``, else the whole body; a ``detail`` that is not text (Airflow 3's list of
    validation errors) as compact JSON; white space, line breaks included, folded."""
    try:
        answer: Any = json.loads(body)
    except ValueError:
        answer = body
    if isinstance(answer, dict):
        answer = answer.get("detail") or answer.get("title") or answer
    text = answer if isinstance(answer, str) else json.dumps(answer, separators=(",", ":"))
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def wait_runs(
    airflow: AirflowServer,
    runs: dict[str, str],
    timeout: float,
    finished: Callable[[str], None] = lambda dag_id: None,
) -> set[str]:
    """Poll until every run finished, calling ``finished(dag_id)`` as each does; a run
    past ``timeout`` is marked failed. Returns the late ones."""
    deadline = time.monotonic() + timeout
    pending = dict(runs)
    while pending and time.monotonic() < deadline:
        for dag_id, run_id in list(pending.items()):
            run = rest_json(airflow, "GET", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}")
            if run["state"] in ("success", "failed"):
                del pending[dag_id]
                finished(dag_id)
        if pending:
            time.sleep(3)  # progress poll with a deadline
    for dag_id, run_id in pending.items():
        rest(
            airflow,
            "PATCH",
            f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}",
            json={"state": "failed"},
        )
    return set(pending)


def clear(airflow: AirflowServer, dag_id: str, run_id: str, task_ids: list[str]) -> None:
    """Clear the generated tasks of the run, so they run again (proxied) in the same run;
    their upstream tasks' XComs stay as Airflow's own operators left them."""
    body = {
        "dry_run": False,
        "dag_run_id": run_id,
        "task_ids": task_ids,
        "include_upstream": False,
        "include_downstream": False,
        "reset_dag_runs": True,
        "only_failed": False,
    }
    rest_json(airflow, "POST", f"/dags/{dag_id}/clearTaskInstances", json=body)


def proxy(airflow: AirflowServer, dag_id: str, task_ids: list[str]) -> None:
    text = "tasks:\n" + "".join(f"  - id: {t}\n    proxied: true\n" for t in task_ids)
    airflow.write_dag_file(f"proxied_state/{dag_id}.yaml", text)


def dagster_run(dagster: DagsterServer, dag_id: str, run_id: str, task_id: str, tries: int) -> Any:
    from airlift_component.dagster_api import DagsterClient

    tags = {
        "airlift/airflow_dag_id": dag_id,
        "airlift/airflow_run_id": run_id,
        "airlift/airflow_task_id": task_id,
    }
    runs = DagsterClient(dagster.url).find_runs(tags)
    for run in runs:
        if run.tags.get("airlift/airflow_try_number") == str(tries):
            return run
    return None


#: An outcome that says nothing of the generated code: the task is run again when
#: the loop resumes from a results file.
NOT_MEASURED = "not measured"
#: Outcomes of a try lost to the machine: Airflow's own run (or the proxied try)
#: never started the task's process, after every retry.
OWN_LOST = f"{NOT_MEASURED}: Airflow's own try never ran (lost while queued, under load)"
PROXIED_LOST = f"{NOT_MEASURED}: the proxied try never ran (lost while queued, under load)"


def final(row: dict[str, Any]) -> bool:
    """Whether a recorded outcome is a verdict to keep when the loop resumes (a lost
    try, a run past its time limit or an own run that failed is measured again)."""
    result = str(row["outcome"])
    return not (
        result.startswith(NOT_MEASURED)
        or "did not finish within" in result
        or result
        in ("Airflow's own operator ended failed", "Airflow's own operator ended upstream_failed")
    )


def outcome(
    task: Task, own: Effect, proxied: Effect, dagster: DagsterServer, run_id: str
) -> tuple[str, str]:
    """(outcome, detail) of one generated task."""
    if own.state != "success":
        return f"Airflow's own operator ended {own.state}", ""
    launched = dagster_run(dagster, task.dag_id, run_id, task.task_id, proxied.try_number)
    if proxied.state != "success":
        status = launched.status if launched else "none launched"
        return f"proxied task ended {proxied.state}", f"Dagster run: {status}"
    if launched is None:
        return "green but not proxied (no Dagster run)", ""
    lines = compute_log_lines(dagster.home, launched.run_id)
    verdict = compare(task.kind, own, proxied, lines)
    return (SAME, "") if verdict == "same" else ("green, different effect", verdict)


def has_tag(tag: str) -> Callable[[set[str]], bool]:
    return lambda tags: tag in tags


def own_runs(
    airflow: AirflowServer,
    batch: dict[str, list[Task]],
    timeout: float,
    retries: int,
    record: Callable[[Task, str, str], None],
) -> tuple[dict[str, str], dict[Task, Effect]]:
    """Run each DAG of the batch with Airflow's own operators; a run in which a task
    never ran (lost while queued) is triggered again, up to ``retries`` times. Returns
    the runs to proxy in (DAG id -> run id) and each task's own effect. A task that did
    not succeed in a run that lost a try is recorded as not measured."""
    runs: dict[str, str] = {}
    for dag_id in batch:
        try:
            runs[dag_id] = trigger(airflow, dag_id)
        except RuntimeError as exc:  # listed, yet Airflow refuses a run: say so, go on
            for task in batch[dag_id]:
                record(task, "DAG could not be triggered", str(exc))
    pending = dict(runs)
    own: dict[Task, Effect] = {}
    for attempt in range(retries + 1):
        again: dict[str, str] = {}
        for dag_id in wait_runs(airflow, pending, timeout):
            for task in batch[dag_id]:
                record(
                    task,
                    f"{NOT_MEASURED}: Airflow's own run did not finish within {timeout:.0f} s",
                    "",
                )
            runs.pop(dag_id)
            pending.pop(dag_id)
        for dag_id, run_id in pending.items():
            tis = task_instances(airflow, dag_id, run_id)
            lost = lost_tries(airflow, dag_id, run_id, tis)
            effects = {
                t: airflow_effect(airflow, dag_id, run_id, t.task_id, tis.get(t.task_id))
                for t in batch[dag_id]
            }
            if lost and attempt < retries and any(e.state != "success" for e in effects.values()):
                log(f"{dag_id}: {', '.join(lost)} never ran in {run_id}: running the DAG again")
                again[dag_id] = runs[dag_id] = trigger(airflow, dag_id)
                continue
            for task, effect in effects.items():
                if lost and effect.state != "success":
                    record(task, OWN_LOST, f"never ran: {', '.join(sorted(lost))}")
                else:
                    own[task] = effect
        pending = again
    return runs, own


def measure_batch(
    airflow: AirflowServer,
    dagster: DagsterServer,
    batch: dict[str, list[Task]],
    args: argparse.Namespace,
    record: Callable[[Task, str, str], None],
) -> None:
    timeout = args.run_timeout
    runs, own = own_runs(airflow, batch, timeout, args.retries, record)
    todo = {d: [t for t in batch[d] if t in own] for d in runs}
    runs = {d: r for d, r in runs.items() if todo[d]}
    for dag_id in runs:
        proxy(airflow, dag_id, [t.task_id for t in todo[dag_id]])
    for dag_id in list(runs):
        tag = f"airlift:proxied_tasks={len(todo[dag_id])}"
        try:
            airflow.wait_for_dag_tags(dag_id, has_tag(tag), timeout=300)
        except Exception as exc:  # the DAG does not load proxied: every task says so
            for task in todo[dag_id]:
                record(task, "DAG did not load proxied", str(exc).splitlines()[0][:200])
            runs.pop(dag_id)
    pending = {d: todo[d] for d in runs}
    for attempt in range(args.retries + 1):
        last = attempt == args.retries
        pending = proxied_round(airflow, dagster, runs, pending, own, last, timeout, record)
        if not pending:
            break


def proxied_round(
    airflow: AirflowServer,
    dagster: DagsterServer,
    runs: dict[str, str],
    pending: dict[str, list[Task]],
    own: dict[Task, Effect],
    last: bool,
    timeout: float,
    record: Callable[[Task, str, str], None],
) -> dict[str, list[Task]]:
    """Clear the pending tasks in their runs, so they run proxied, and record each
    outcome as its run ends. Returns the tasks to clear again: those that did not
    succeed in a run where a cleared try never ran (unless this is the ``last`` round,
    which records them as not measured)."""
    for dag_id, tasks_ in pending.items():
        clear(airflow, dag_id, runs[dag_id], [t.task_id for t in tasks_])
    again: dict[str, list[Task]] = {}

    def compared(dag_id: str) -> None:  # as soon as the run is over: a cut-off keeps it
        run_id = runs[dag_id]
        tis = task_instances(airflow, dag_id, run_id)
        cleared = {t.task_id for t in pending[dag_id]}
        lost = [t for t in lost_tries(airflow, dag_id, run_id, tis) if t in cleared]
        for task in pending[dag_id]:
            proxied = airflow_effect(airflow, dag_id, run_id, task.task_id, tis.get(task.task_id))
            if lost and proxied.state != "success":
                if last:
                    record(task, PROXIED_LOST, f"never ran: {', '.join(sorted(lost))}")
                else:
                    again.setdefault(dag_id, []).append(task)
                continue
            record(task, *outcome(task, own[task], proxied, dagster, run_id))
        if dag_id in again:
            log(f"{dag_id}: {', '.join(lost)} never ran proxied: clearing them again")

    waiting = {d: runs[d] for d in pending}
    for dag_id in wait_runs(airflow, waiting, timeout, compared):
        for task in pending[dag_id]:
            record(
                task, f"{NOT_MEASURED}: the proxied run did not finish within {timeout:.0f} s", ""
            )
    return again


def measure(version: int, args: argparse.Namespace) -> None:
    """Run every generated example task of one Airflow; append outcomes to the results."""
    label = LABELS[version]
    done = {
        (r["dag"], r["task"])
        for r in latest(read_results(args.results))
        if r["airflow"] == label and final(r)
    }
    scratch = Path(tempfile.mkdtemp(prefix=f"airlift-loop-af{version}-"))
    log(f"{label}: scratch folder {scratch}")
    all_tasks = prepare(version, scratch)
    todo = [t for t in all_tasks if (t.dag_id, t.task_id) not in done]
    by_dag: dict[str, list[Task]] = defaultdict(list)
    for task in todo:
        by_dag[task.dag_id].append(task)
    globs = args.dags or ["*"]
    matching = [d for d in by_dag if any(fnmatch(d, g) for g in globs)]
    # In the order of the first glob each matches: the DAGs wanted first run first.
    dag_ids = sorted(
        matching, key=lambda d: (min(i for i, g in enumerate(globs) if fnmatch(d, g)), d)
    )
    dag_ids = dag_ids[: args.max_dags]

    def record(task: Task, result: str, detail: str) -> None:
        line = {"airflow": label, "dag": task.dag_id, "task": task.task_id, "kind": task.kind}
        line |= {"outcome": result, "detail": detail}
        with args.results.open("a") as handle:
            handle.write(json.dumps(line) + "\n")
        log(f"{task.dag_id}.{task.task_id} ({task.kind}): {result} {detail}")

    airflow = AirflowServer(
        version,
        home=scratch / "airflow",
        dags_folder=scratch / "dags",
        # Only the runs this script triggers: no scheduled ones next to them.
        env_overrides={"AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False"}
        | ({"PYTHONPATH": str(args.airflow_side)} if args.airflow_side else {}),
        # Examples with deferrable operators (example_sensors' *_async, ...) never end
        # without one: a whole batch then waits out its time limit.
        triggerer=True,
        startup_timeout=600,
    )
    dagster = DagsterServer(
        scratch / "dagster",
        ["-f", str(scratch / "project" / "definitions.py")],
        cwd=scratch / "project",
        # Launches are queued and started by the daemon: the webserver only records them.
        run_coordinator="queued",
        # Its code server loads every generated module: slow to answer under load.
        env={"DAGSTER_GRPC_TIMEOUT_SECONDS": "600"},
        startup_timeout=600,
    )
    (scratch / "project" / "cov" / "airlift.yaml").write_text("")
    try:
        airflow.start()
        config = {"version": 1, "instances": [airflow.instance_config(name=INSTANCE)]}
        (scratch / "project" / "cov" / "airlift.yaml").write_text(json.dumps(config))
        dagster.start()
        point_at_dagster(airflow, dagster)
        files = {d: str(by_dag[d][0].dag_file.relative_to(scratch / "dags")) for d in dag_ids}
        parsed = wait_parsed(airflow, files, timeout=1200)
        for dag_id in sorted(set(dag_ids) - parsed):
            for task in by_dag[dag_id]:
                record(task, "DAG did not load in Airflow", "")
        ready = [d for d in dag_ids if d in parsed]
        for start in range(0, len(ready), args.batch):
            batch = {d: by_dag[d] for d in ready[start : start + args.batch]}
            log(f"{label}: batch {start // args.batch + 1}: {', '.join(batch)}")
            measure_batch(airflow, dagster, batch, args, record)
    finally:
        dagster.stop()
        airflow.stop()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


def read_results(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def is_compared(result: str) -> bool:
    """Whether an outcome compares a proxied try with Airflow's own successful one."""
    return result in (SAME, "green, different effect") or result.startswith(
        ("proxied task ended", "green but not proxied")
    )


def latest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each task's last recorded outcome (a task measured again replaces its row)."""
    last = {(r["airflow"], r["dag"], r["task"]): r for r in rows}
    for row in last.values():  # a results file from before timeouts said so
        if "did not finish within" in row["outcome"] and not row["outcome"].startswith(
            NOT_MEASURED
        ):
            row["outcome"] = f"{NOT_MEASURED}: the {row['outcome']}"
    return list(last.values())


def report(path: Path) -> str:
    """The Markdown table of the outcomes in ``path``, one column per Airflow."""
    results = latest(read_results(path))
    labels = [label for label in LABELS.values() if any(r["airflow"] == label for r in results)]
    counts = {
        label: Counter(r["outcome"] for r in results if r["airflow"] == label) for label in labels
    }
    kinds = {
        label: Counter(r["kind"] for r in results if r["airflow"] == label and r["outcome"] == SAME)
        for label in labels
    }
    lines = ["| | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]

    def row(name: str, values: list[str]) -> None:
        lines.append(f"| {name} | " + " | ".join(values) + " |")

    totals = {x: sum(counts[x].values()) for x in labels}
    compared = {x: sum(n for o, n in counts[x].items() if is_compared(o)) for x in labels}
    row("generated tasks run in the loop", [str(totals[x]) for x in labels])
    row(
        "compared (Airflow's operator succeeded and the proxied try ran)",
        [str(compared[x]) for x in labels],
    )
    row(
        f"**green proxied, {SAME}**",
        [
            f"**{counts[x][SAME]}** ({100 * counts[x][SAME] / max(compared[x], 1):.0f}% of compared)"
            for x in labels
        ],
    )
    for kind in ("bash", "python", "empty"):
        row(f"· {kind}", [str(kinds[x][kind]) for x in labels])
    others = {o for c in counts.values() for o in c if o != SAME}
    # Compared first, then nothing to compare, then not measured.
    for other in sorted(others, key=lambda o: (not is_compared(o), o.startswith(NOT_MEASURED), o)):
        row(other, [str(counts[x][other]) for x in labels])
    details = [
        f"- {r['airflow']}: {r['dag']}.{r['task']} ({r['kind']}): {r['outcome']}"
        + (f": {r['detail']}" if r["detail"] else "")
        for r in results
        if r["outcome"] != SAME
    ]
    return "\n".join([*lines, "", *details])


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airflow", type=int, choices=(2, 3), action="append")
    parser.add_argument("--results", type=Path, default=Path("generate_coverage_loop.jsonl"))
    parser.add_argument("--batch", type=int, default=6, help="DAGs run at once")
    parser.add_argument("--run-timeout", type=float, default=900, help="seconds per batch run")
    parser.add_argument(
        "--dags", nargs="*", help="only DAG ids matching these globs, run in this order"
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="times a run whose task never ran (lost while queued) is run again",
    )
    parser.add_argument("--max-dags", type=int, default=None, help="stop after this many DAGs")
    parser.add_argument(
        "--airflow-side",
        type=Path,
        default=None,
        help="a folder holding another airflow_side package, put first on Airflow's path "
        "(e.g. one commit's, from git archive)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--report", action="store_true", help="only print the table")
    args = parser.parse_args(argv)
    # A background job ignores Ctrl-C: stop on SIGTERM the same way, servers stopped
    # and the table printed.
    signal.signal(signal.SIGTERM, _stop)
    try:
        if not args.report:
            for version in args.airflow or [3, 2]:
                measure(version, args)
    finally:
        print(report(args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
