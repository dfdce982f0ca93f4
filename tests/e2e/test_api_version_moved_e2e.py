"""Airflow moved between 2 and 3 at the same url (issue 25 item 6), on real Airflow.

The sensor's client is pinned to the API version the stored state was fetched from.
Against a real Airflow of the other major version, its first listing fails with an
error that says the state came from the other API version and to refresh, not
"check that the DAG / run exists".
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirflowApiError
from devtools.local_stack import AirflowServer

pytestmark = pytest.mark.e2e


def test_state_of_the_other_version_says_to_refresh(airflow: AirflowServer) -> None:
    serves = airflow.instance_config("e2e")
    with AirflowClient(Instance.model_validate(serves, strict=False)) as detected:
        version = detected.api_version()
    stale = "v1" if version == "v2" else "v2"  # the state fetched before the move
    instance = Instance.model_validate({**serves, "api": stale}, strict=False)
    with AirflowClient(instance) as client, pytest.raises(AirflowApiError) as caught:
        list(client.changed_dag_runs(updated_at_gte=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    message = str(caught.value)
    assert "answered 404" in message
    assert "now serves the other API version" in message
    assert "stored state was fetched from" in message and "airlift refresh" in message
    assert "DAG / run exists" not in message
    assert airflow.password not in message
