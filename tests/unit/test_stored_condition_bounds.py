"""A schedule condition read back from the state file is nested no deeper than a
refresh writes one: a deeper one (a state file edited by hand or damaged) makes
the state unreadable with the hint to refresh, not a RecursionError at load."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from airlift_component.airflow_api.asset_conditions import (
    MAX_DEPTH,
    condition_text,
    parse_condition,
    to_json_text,
)
from airlift_component.airflow_api.types import AirflowAsset, AirflowDag
from airlift_component.airflow_state.airflow_assets import (
    assets_from_json,
    assets_to_json,
    dag_conditions,
)
from airlift_component.airflow_state.state import AirflowState, DagState, StateFileError
from airlift_component.airflow_state.state_file import (
    AirliftStateFile,
    read_state_file,
    write_state_file,
)


def _nested(depth: int) -> dict[str, object]:
    """An Airflow expression ``depth`` levels deep, built without recursion."""
    node: dict[str, object] = {"asset": {"uri": "s3://lake/x", "name": "x", "id": 1}}
    for _ in range(depth):
        node = {"all": [node, {"asset": {"uri": "s3://lake/y", "name": "y", "id": 2}}]}
    return node


def _asset(condition_json: str) -> AirflowAsset:
    return AirflowAsset(
        uri="s3://lake/x",
        name="x",
        asset_id=1,
        scheduled_dags=("consumer",),
        consumer_conditions=(("consumer", condition_json),),
    )


def _state_file(path: Path, condition_json: str) -> Path:
    dag = AirflowDag(dag_id="consumer", is_paused=False, fileloc="dags/c.py")
    state = AirflowState(
        instance="prod",
        url="http://127.0.0.1:8080",
        api_version="v2",
        airflow_version="3.1.0",
        fetched_at=datetime(2026, 12, 7, tzinfo=UTC),
        fingerprint="f",
        dags={"consumer": DagState(dag)},
        airflow_assets=(_asset(condition_json),),
    )
    write_state_file(path, AirliftStateFile(state.fetched_at, {"prod": state}))
    return path


def test_the_deepest_condition_a_refresh_writes_reads_back() -> None:
    condition = parse_condition(_nested(MAX_DEPTH * 3), "Asset or 0 0 * * *")
    assert condition is not None
    [asset] = assets_from_json(assets_to_json([_asset(to_json_text(condition))]))
    assert condition_text(dag_conditions([asset])["consumer"])


@pytest.mark.parametrize("depth", [MAX_DEPTH + 3, 5_000, 200_000])
def test_a_deeper_stored_condition_makes_the_state_unreadable_with_the_refresh_hint(
    tmp_path: Path, depth: int
) -> None:
    text = '{"all":[' * depth + '{"asset":{"uri":"s3://lake/x","name":"x"}}' + "]}" * depth
    path = _state_file(tmp_path / "state.json", text)
    with pytest.raises(StateFileError) as raised:
        read_state_file(path)
    message = str(raised.value)
    assert "nested deeper than" in message and "refresh" in message


def test_a_stored_condition_that_is_no_condition_is_refused(tmp_path: Path) -> None:
    path = _state_file(tmp_path / "state.json", '{"all": 3}')
    with pytest.raises(StateFileError, match="not a condition"):
        read_state_file(path)
