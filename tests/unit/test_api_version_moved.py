"""Airflow upgraded (or moved back) at the same URL: the sensor's client, pinned to the
API version the stored state was fetched from, says so and says to refresh (issue 25
item 6), instead of "check that the DAG / run exists"."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airlift_component.errors import AirflowApiError
from tests.harness.fake_airflow import FakeAirflow

SINCE = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("serves", "pinned", "failing", "now_serves"),
    [
        ("v2", "v1", "GET /api/v1/", "/api/v2, Airflow 3"),  # Airflow 2 → 3
        ("v1", "v2", "POST /auth/token", "/api/v1, Airflow 2"),  # Airflow 3 → 2
    ],
    ids=["2-to-3", "3-to-2"],
)
def test_a_pinned_version_that_moved_says_to_refresh(
    serves: str, pinned: str, failing: str, now_serves: str
) -> None:
    with FakeAirflow(api=serves, username="admin", password="pw") as fake:
        fake.add_dag("customers", tasks={"load": []})
        with fake.client(api=pinned) as client, pytest.raises(AirflowApiError) as caught:
            list(client.changed_dag_runs(updated_at_gte=SINCE))
    message = str(caught.value)
    assert failing in message and "answered 404" in message
    assert f"now serves the other API version ({now_serves})" in message
    assert "stored state was fetched from" in message
    assert "airlift refresh" in message
    assert "DAG / run exists" not in message
    assert "pw" not in message


def test_a_real_not_found_keeps_its_message() -> None:
    """A DAG that does not exist, on the right API version: the usual hint, and the
    other version is asked once per client at most."""
    with FakeAirflow(api="v2", username="admin", password="pw") as fake:
        with fake.client(api="v2") as client:
            for _ in range(2):
                with pytest.raises(AirflowApiError, match="check that the DAG / run exists"):
                    client.get_dag("missing")
        probes = [r for r in fake.request_log if r.path == "/api/v1/version"]
    assert len(probes) == 1


def test_a_detected_version_is_never_second_guessed() -> None:
    with FakeAirflow(api="v2", username="admin", password="pw") as fake:
        with fake.client() as client, pytest.raises(AirflowApiError, match="DAG / run exists"):
            client.get_dag("missing")
        assert not [r for r in fake.request_log if r.path == "/api/v1/version"]
