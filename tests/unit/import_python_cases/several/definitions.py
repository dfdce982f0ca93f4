"""Two instances merged, module aliases, a bearer token, an AirflowFilter."""

import os

import dagster as dg
import dagster_airlift.core as dg_airlift_core
from dagster_airlift.core.filter import AirflowFilter
from dagster_airlift.core.token_backend import AirflowBearerTokenBackend

east = dg_airlift_core.AirflowInstance(
    auth_backend=dg_airlift_core.AirflowBasicAuthBackend(
        webserver_url="https://east.example.com",
        username="svc_dagster",
        password=os.getenv("EAST_PASSWORD"),
    ),
    name="east",
)
west = dg_airlift_core.AirflowInstance(
    auth_backend=AirflowBearerTokenBackend(
        webserver_url="https://west.example.com", token="not-a-real-token-0123"
    ),
    name="west",
)

defs = dg.Definitions.merge(
    dg_airlift_core.build_defs_from_airflow_instance(
        airflow_instance=east,
        defs=dg.Definitions(
            assets=dg_airlift_core.assets_with_dag_mappings(
                {"ingest": [dg.AssetSpec(["east", "raw_events"])]}
            )
        ),
    ),
    dg_airlift_core.build_defs_from_airflow_instance(
        airflow_instance=west,
        defs=dg.Definitions(
            assets=dg_airlift_core.assets_with_task_mappings(
                dag_id="ingest",
                task_mappings={
                    "pull": [dg.AssetSpec(["west", "raw_events"])],
                    "store": [dg.AssetSpec(["west", "events"], deps=[["west", "raw_events"]])],
                },
            )
        ),
        retrieval_filter=AirflowFilter(dag_id_ilike="ingest", airflow_tags=["prod"]),
    ),
)
