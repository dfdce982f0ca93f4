"""Reading a DAG run and XComs from Airflow's REST API, for a generated asset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airlift_component.errors import AirliftError


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

    def _get(self, path: str, **params: Any) -> Any:
        # The client has no typed call for these records; its JSON reader sends the
        # request with the instance's auth, retries and error messages.
        return self._client._reader.call("GET", path, params=params or None)

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """The DAG run record (``logical_date``, ``data_interval_*``, ``conf``)."""
        body = self._get(self._client.endpoints.run_path(dag_id, run_id))
        if not isinstance(body, dict):
            raise AirliftError(f"Airflow answered a non-object for DAG run {dag_id}/{run_id}")
        return body

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str) -> Any:
        """The value of XCom ``key`` of ``task_id`` in the run, as JSON."""
        from airlift_component.airflow_api.endpoints import segment

        run = self._client.endpoints.run_path(dag_id, run_id)
        path = f"{run}/taskInstances/{segment(task_id)}/xcomEntries/{segment(key)}"
        body = self._get(path, stringify="false")
        if not isinstance(body, dict) or "value" not in body:
            raise AirliftError(f"Airflow answered no value for XCom {key!r} of {task_id!r}")
        return body["value"]
