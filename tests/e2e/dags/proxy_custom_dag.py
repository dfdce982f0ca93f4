"""E2E: a dagster-airlift-style custom operator: its own URL, session and run tags.

Written as a dagster-airlift user writes one, only the import renamed: the URL
comes from the Airflow Variable ``proxy_custom_dagster_url`` (set by the test), the
session is a plain ``requests.Session`` carrying a header, and
``default_dagster_run_tags`` adds the team's tags to every Dagster run.
"""

from pathlib import Path
from typing import Any

import requests
from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import (
    BaseProxyTaskToDagsterOperator,
    load_proxied_state_from_yaml,
    proxying_to_dagster,
)


class TeamProxyTaskToDagsterOperator(BaseProxyTaskToDagsterOperator):
    # The one line a dagster-airlift operator gains: which airlift.yaml instance this
    # Airflow is (or set AIRLIFT_INSTANCE in the Airflow environment).
    airlift_instance = "e2e"

    def get_dagster_url(self, context: Any) -> str:
        try:
            from airflow.sdk import Variable
        except ImportError:
            from airflow.models import Variable
        return str(Variable.get("proxy_custom_dagster_url"))

    def get_dagster_session(self, context: Any) -> requests.Session:
        session = requests.Session()
        session.headers["X-Team"] = "payments"
        return session

    def default_dagster_run_tags(self, context: Any) -> dict[str, str]:
        tags = super().default_dagster_run_tags(context)
        tags["team"] = "payments"
        tags["cost_center"] = "cc-42"
        return tags


with manual_dag("proxy_custom_dag") as dag:
    extract = recording_task(dag.dag_id, "extract")
    load = recording_task(dag.dag_id, "load")
    extract >> load

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
    build_from_task_fn=TeamProxyTaskToDagsterOperator.build_from_task,
)
