"""`airlift generate DAG [TASK ...]`: the Dagster asset of a task, from its Airflow definition."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "generate"
HELP = "write the Dagster asset of Airflow tasks from their DAG file, and point code: at it"

_EPILOG = """\
The DAG file is read by its syntax, never imported. Each task becomes one module
(airlift_generated/<dag>__<task>.py next to airlift.yaml, or --out) holding one
Dagster multi-asset computing exactly the task's mapped keys, and those keys'
code: in airlift.yaml points at it (only those lines change).

Translated: BashOperator, EmptyOperator, PythonOperator, @task,
SQLExecuteQueryOperator (SQLite, the connection from AIRFLOW_CONN_<ID>) and
KubernetesPodOperator (dagster-k8s Pipes). Anything else, or anything a
translation would only approximate, is refused per task with the reason and the
line. See docs/generate.md.

Re-running writes nothing new when nothing changed. A module edited since it was
generated is kept unless --force.

exit codes: 0 every task generated (or unchanged), 1 a task refused or kept, 2 usage."""


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("dag", metavar="DAG", help="the DAG id")
    parser.add_argument(
        "tasks", metavar="TASK", nargs="*", help="task ids (default: every mapped task)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("airlift.yaml"),
        metavar="PATH",
        help="airlift.yaml (default: ./airlift.yaml)",
    )
    parser.add_argument("--instance", metavar="NAME", help="the airlift.yaml instance mapping DAG")
    parser.add_argument(
        "--dags-folder",
        type=Path,
        metavar="PATH",
        help="where the DAG files are (default: the DAG's file as the stored state, airlift refresh, records it)",
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="folder (a Python package) for the modules"
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite modules edited since generated"
    )


def run(args: argparse.Namespace) -> int:
    """Generate; print one line per task; returns the exit code."""
    from airlift_component.generate.plan import Request, generate

    request = Request(
        config=args.config,
        dag_id=args.dag,
        tasks=tuple(args.tasks),
        instance=args.instance,
        dags_folder=args.dags_folder,
        out=args.out,
        force=args.force,
    )
    outcome = generate(request)
    for result in outcome.results:
        stream = sys.stderr if result.status in ("refused", "kept") else sys.stdout
        print(f"{args.dag}.{result.task_id}: {result.status}: {result.detail}", file=stream)
    if outcome.config_changed:
        print(f"{args.config}: code: now points at the generated modules")
    return 1 if outcome.refused else 0


def _main() -> int:
    from airlift_component.errors import AirliftError

    parser = argparse.ArgumentParser(prog="airlift generate", description=HELP)
    register(parser)
    args = parser.parse_args()
    try:
        return run(args)
    except AirliftError as exc:
        print(f"airlift generate: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(_main())
