"""A custom auth backend subclass, and the older dag_defs / task_defs API."""

import os

import requests
from dagster import AssetSpec, DefaultSensorStatus, Definitions
from dagster_airlift.core import (
    AirflowAuthBackend,
    AirflowInstance,
    build_defs_from_airflow_instance,
    dag_defs,
    task_defs,
)


class GatewayAuth(AirflowAuthBackend):
    """Sends an API key header to a gateway in front of Airflow."""

    def __init__(self, header: str, env_var: str) -> None:
        self.header = header
        self.env_var = env_var

    def get_session(self) -> requests.Session:
        session = requests.Session()
        session.headers[self.header] = os.environ[self.env_var]
        return session

    def get_webserver_url(self) -> str:
        return "https://gateway.example.com/airflow"


defs = build_defs_from_airflow_instance(
    airflow_instance=AirflowInstance(
        auth_backend=GatewayAuth(header="X-Api-Key", env_var="GATEWAY_KEY"),
        name="gateway",
    ),
    defs=dag_defs(
        "billing",
        task_defs("invoice", Definitions(assets=[AssetSpec("invoices")])),
        task_defs("send", Definitions(assets=[AssetSpec("sent_invoices", deps=["invoices"])])),
    ),
    default_sensor_status=DefaultSensorStatus.STOPPED,
)
