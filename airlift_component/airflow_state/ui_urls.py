"""Links into the Airflow UI, built from the base URL and API version alone (no REST call)."""

from __future__ import annotations

from urllib.parse import quote


def dag_ui_url(base_url: str, api_version: str, dag_id: str) -> str:
    """The DAG's page: ``/dags/<id>`` on Airflow 3, the grid view on Airflow 2."""
    base = base_url.rstrip("/")
    if api_version == "v1":
        return f"{base}/dags/{quote(dag_id, safe='')}/grid"
    return f"{base}/dags/{quote(dag_id, safe='')}"
