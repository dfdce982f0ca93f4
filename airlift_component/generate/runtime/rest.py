"""Reading a DAG run and XComs from Airflow's REST API, for a generated asset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from airlift_component.errors import AirliftError

if TYPE_CHECKING:
    from airlift_component.airflow_api.types import DagRun


class AirflowReader:
    """Reads one instance of ``config`` (``airlift.yaml``); one client per Dagster step."""

    def __init__(self, config: Path, instance: str) -> None:
        from airlift_component.airflow_api.client import AirflowClient
        from airlift_component.config.airlift_yaml.load import load_airlift_file

        loaded = load_airlift_file(config)
        found = [i for i in loaded.instances if i.name == instance]
        if not found:
            raise AirliftError(
                f"{config}: no instance {instance!r}, which the Dagster run's tags name; "
                "point the generated module at the airlift.yaml of that Airflow"
            )
        self._client = AirflowClient(found[0])

    def dag_run(self, dag_id: str, run_id: str) -> DagRun:
        """The DAG run (logical date, data interval, conf)."""
        return self._client.get_dag_run(dag_id, run_id)

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str) -> Any:
        """The value of XCom ``key`` of ``task_id`` in the run, as JSON."""
        return self._client.get_xcom(dag_id, run_id, task_id, key)
