"""The Airflow state cache: fetched once, fresh within the TTL, fallback when Airflow is down."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from airlift_stub import StubAirflow

from airlift_component.airflow_state.fetch import cache_file, load_state
from airlift_component.airflow_state.state import AirflowState, StateCacheError, read_state
from airlift_component.config.airlift_model import Instance


def _instance(**overrides: object) -> Instance:
    data: dict[str, object] = {
        "name": "prod",
        "url": "http://127.0.0.1:8080",
        "auth": {"type": "none"},
        "mappings": [{"dag": "customers", "tasks": [{"task": "load", "assets": ["raw/c"]}]}],
    }
    data.update(overrides)
    return Instance.model_validate(data)


@pytest.fixture
def airflow() -> StubAirflow:
    airflow = StubAirflow()
    airflow.add_dag("customers", {"extract": ["load"], "load": []}, owners=("airflow",))
    airflow.add_dag("orders", {"a": []})
    return airflow


def test_first_load_fetches_dags_and_tasks_of_mapped_dags_only(
    airflow: StubAirflow, tmp_path: Path
) -> None:
    path = tmp_path / "prod.json"
    state = load_state(_instance(), path, client_factory=airflow.client)
    assert set(state.dags) == {"customers", "orders"}
    assert [t.task_id for t in state.dags["customers"].tasks or ()] == ["extract", "load"]
    assert state.dags["orders"].tasks is None
    assert "tasks:orders" not in airflow.calls
    assert path.is_file()


def test_fresh_cache_makes_no_rest_call(airflow: StubAirflow, tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    first = load_state(_instance(), path, client_factory=airflow.client)
    airflow.calls.clear()
    again = load_state(_instance(), path, client_factory=airflow.client)
    assert airflow.calls == []
    assert again == first


def test_stale_cache_is_refetched(airflow: StubAirflow, tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    first = load_state(_instance(), path, client_factory=airflow.client)
    airflow.add_dag("new_dag", {"t": []})
    later = first.fetched_at + timedelta(seconds=61)
    state = load_state(_instance(), path, ttl_seconds=60, client_factory=airflow.client, now=later)
    assert "new_dag" in state.dags


def test_changed_mappings_invalidate_a_fresh_cache(airflow: StubAirflow, tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    load_state(_instance(), path, client_factory=airflow.client)
    airflow.calls.clear()
    changed = _instance(mappings=[{"dag": "orders", "tasks": [{"task": "a", "assets": ["o"]}]}])
    state = load_state(changed, path, client_factory=airflow.client)
    assert "tasks:orders" in airflow.calls
    assert state.dags["orders"].tasks is not None


def test_unreachable_airflow_falls_back_to_stale_cache_with_warning(
    airflow: StubAirflow, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "prod.json"
    first = load_state(_instance(), path, client_factory=airflow.client)
    airflow.down = True
    later = first.fetched_at + timedelta(days=2)
    state = load_state(_instance(), path, ttl_seconds=60, client_factory=airflow.client, now=later)
    assert state == first
    assert "could not be reached" in caplog.text
    assert "http://127.0.0.1:8080" in caplog.text


def test_unreachable_airflow_without_cache_names_url_and_remedy(
    airflow: StubAirflow, tmp_path: Path
) -> None:
    airflow.down = True
    with pytest.raises(StateCacheError) as info:
        load_state(_instance(), tmp_path / "prod.json", client_factory=airflow.client)
    message = str(info.value)
    assert "http://127.0.0.1:8080" in message
    assert "airlift refresh" in message


def test_cache_round_trips_and_is_written_atomically(airflow: StubAirflow, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "prod.json"
    state = load_state(_instance(), path, client_factory=airflow.client)
    assert AirflowState.from_json(path.read_text()) == state
    assert [p.name for p in path.parent.iterdir()] == ["prod.json"]


def test_corrupt_cache_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    path.write_text(json.dumps({"format": 99}))
    with pytest.raises(StateCacheError, match=str(path)):
        read_state(path)


def test_default_cache_location_is_next_to_airlift_yaml(tmp_path: Path) -> None:
    yaml_path = tmp_path / "proj" / "airlift.yaml"
    assert cache_file(yaml_path, "prod") == tmp_path / "proj" / ".airlift" / "cache" / "prod.json"
    assert cache_file(yaml_path, "prod", "/abs") == Path("/abs/prod.json")
