"""The state file is read a DAG line at a time when it is laid out as the refresh
writes it, and whole otherwise: both read the same states, and a broken file is
reported as before."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airlift_component.airflow_api.types import AirflowAsset, AirflowDag, AirflowTask
from airlift_component.airflow_state.state import AirflowState, DagState, StateFileError
from airlift_component.airflow_state.state_file import (
    AirliftStateFile,
    _load_by_line,
    read_state_file,
)

AT = datetime(2026, 12, 7, 11, 0, tzinfo=timezone.utc)


def _instance(name: str, dags: int, assets: bool = False) -> AirflowState:
    states = {}
    for n in range(dags):
        dag = AirflowDag(f"dag_{n}", tags=("daily",), owners=("airflow",), schedule="@daily")
        tasks = (AirflowTask("a", ("b",), "BashOperator"), AirflowTask("b", is_mapped=True))
        states[dag.dag_id] = DagState(dag, None if n % 2 else tasks)
    asset = AirflowAsset("s3://x", "x", 1, (("dag_0", "a"),), ("dag_1",))
    return AirflowState(
        name, f"http://{name}", "v2", "3.3.2", AT, "0" * 16, states, (asset,) if assets else None
    )


STATE = AirliftStateFile(
    AT,
    {
        "prod": _instance("prod", 3, assets=True),
        "one": _instance("one", 1),
        "none": _instance("none", 0),
    },
    airlift_yaml={"digest": "d", "instances": {"prod": ["- dag: dag_0\n"]}},
)


def _read(tmp_path: Path, data: bytes) -> AirliftStateFile | None:
    path = tmp_path / "state.json"
    path.write_bytes(data)
    return read_state_file(path)


def test_the_written_file_is_read_a_dag_line_at_a_time_into_the_same_state(
    tmp_path: Path,
) -> None:
    data = STATE.to_bytes()
    document = _load_by_line(data)
    lines = document["instances"]["prod"]["dags"]
    assert not isinstance(lines, list)  # an iterator over the lines, not parsed yet
    assert list(lines) == json.loads(data)["instances"]["prod"]["dags"]
    assert _read(tmp_path, data) == STATE
    assert _read(tmp_path, data).to_bytes() == data  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("layout", "same_state"),
    [
        pytest.param(json.dumps, True, id="one-line"),
        pytest.param(lambda d: json.dumps(d, indent=1), True, id="indent-1"),
        pytest.param(lambda d: json.dumps(d, indent=2), True, id="indent-2"),
        pytest.param(lambda d: STATE.to_bytes().decode().replace("\n", "\r\n"), True, id="crlf"),
        pytest.param(
            lambda d: STATE.to_bytes().decode().replace("},\n  {", "}, {", 1),
            True,
            id="two-dags-on-a-line",
        ),
        pytest.param(
            lambda d: (
                STATE.to_bytes()
                .decode()
                .replace('"description": null', '"description": "\\u0000airlift-dags:0"', 1)
            ),
            False,
            id="the-marker-spelled-in-the-file",
        ),
    ],
)
def test_any_other_layout_reads_what_the_whole_document_says(
    tmp_path: Path, layout: Callable[[Any], str], same_state: bool
) -> None:
    text = layout(json.loads(STATE.to_bytes()))
    read = _read(tmp_path, text.encode())
    assert read == AirliftStateFile._from_document(json.loads(text))
    assert (read == STATE) is same_state


def _broken(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    first = lines.index(b' "dags": [') + 1
    last = lines.index(b" ],", first) - 1
    cut = list(lines)
    cut[first] = cut[first][:-5]
    trailing = list(lines)
    trailing[last] += b","
    missing = list(lines)
    missing[first] = missing[first][:-1]
    unclosed = list(lines)
    del unclosed[last + 1]
    return [b"\n".join(each) for each in (cut, trailing, missing, unclosed)]


def test_a_broken_dag_line_is_reported_as_the_whole_document_reports_it(tmp_path: Path) -> None:
    for data in _broken(STATE.to_bytes()):
        with pytest.raises(json.JSONDecodeError) as whole:
            json.loads(data)
        with pytest.raises(StateFileError) as info:
            _read(tmp_path, data)
        assert str(whole.value) in str(info.value) and "refresh" in str(info.value)


def test_dag_lines_of_an_instance_named_twice_are_read_as_json_reads_them(tmp_path: Path) -> None:
    text = STATE.to_bytes().decode()
    start = text.index('\n "prod": {')
    block = text[start : text.index("\n }", start) + 3].replace('"prod"', '"one"', 1)
    doubled = f"{text[:start]}{block},{text[start:]}"
    assert _read(tmp_path, doubled.encode()) == STATE  # the last "one" wins, as in json
    broken = doubled.replace('"dag_0"', '"dag_0"}', 1)  # in the first "one"
    with pytest.raises(StateFileError):
        _read(tmp_path, broken.encode())
