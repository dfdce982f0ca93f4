"""Render a Bash task's command with Airflow 2.10's own code, for many runs at once.

Run by ``tests/unit/test_generate_template_property.py`` with ``.venv-airflow2``'s
interpreter (this environment has no Airflow 2): one process renders every case
of a batch, so the property test pays Airflow's import once. Reads JSON on
standard input::

    {"dag_file": PATH, "dag_id": ID, "task_id": ID,
     "cases": [{"start": ISO, "end": ISO, "conf": {...}, "env": {...}, "command": TEXT}]}

and prints one JSON list: per case ``{"rendered": TEXT}`` or ``{"error": TEXT}``.
The task comes from executing the DAG file anew for each case (rendering with a
run's conf updates the task's params in place); ``command``, when given, replaces
its ``bash_command``. The context is Airflow's ``TaskInstance.get_template_context``
over a ``DagRun`` held in memory (the metadata tables exist, empty); the Jinja environment is the operator's own.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from typing import Any


def render(request: dict[str, Any], case: dict[str, Any]) -> str:
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.types import DagRunType

    namespace: dict[str, Any] = {"__name__": "airflow2_render_dag"}
    with open(request["dag_file"]) as handle:
        exec(compile(handle.read(), request["dag_file"], "exec"), namespace)
    dag = next(v for v in namespace.values() if type(v).__name__ == "DAG")
    task = dag.get_task(request["task_id"])
    if case.get("command") is not None:
        task.bash_command = case["command"]
    start = datetime.fromisoformat(case["start"])
    end = datetime.fromisoformat(case["end"])
    dag_run = DagRun(
        dag_id=dag.dag_id,
        run_id="scheduled__x",
        execution_date=start,
        data_interval=(start, end),
        run_type=DagRunType.SCHEDULED,
        conf=case.get("conf") or {},
    )
    dag_run.dag = dag
    ti = TaskInstance(task, run_id="scheduled__x")
    ti.dag_run = dag_run
    return str(task.render_template(task.bash_command, ti.get_template_context()))


def create_tables() -> None:
    """The metadata tables, empty, in the SQLite file the environment names (the
    context looks up the previous successful run, and Variables fall back to the
    database)."""
    from airflow import settings
    from airflow.models import import_all_models
    from airflow.models.base import Base

    import_all_models()
    import airflow.providers.fab.auth_manager.models  # noqa: F401  (ab_user, which notes reference)

    Base.metadata.create_all(settings.engine)


def main() -> int:
    request = json.load(sys.stdin)
    create_tables()
    answers: list[dict[str, str]] = []
    for case in request["cases"]:
        saved = dict(os.environ)
        os.environ.update(case.get("env") or {})
        try:
            answers.append({"rendered": render(request, case)})
        except Exception as exc:  # reported per case, so the test names the failing input
            answers.append({"error": f"{type(exc).__name__}: {exc}"})
        finally:
            os.environ.clear()
            os.environ.update(saved)
    print(json.dumps(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
