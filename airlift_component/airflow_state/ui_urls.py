"""Links into the Airflow UI, built from the stored base URL and API version alone
(no REST call); the URL shapes are :class:`~airlift_component.airflow_api.endpoints.Endpoints`'."""

from __future__ import annotations

from airlift_component.airflow_api.endpoints import Endpoints
from airlift_component.airflow_api.types import AirflowAsset


def _endpoints(api_version: str) -> Endpoints:
    return Endpoints("v1" if api_version == "v1" else "v2")


def dag_ui_url(base_url: str, api_version: str, dag_id: str) -> str:
    """The DAG's page: ``/dags/<id>`` on Airflow 3, the grid view on Airflow 2."""
    return _endpoints(api_version).dag_ui_url(base_url.rstrip("/"), dag_id)


def asset_ui_url(base_url: str, api_version: str, asset: AirflowAsset) -> str | None:
    """The asset's page in Airflow 3's UI, the dataset in Airflow 2's datasets view."""
    return _endpoints(api_version).asset_ui_url(base_url.rstrip("/"), asset.asset_id, asset.uri)
