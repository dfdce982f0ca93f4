"""Reading the value a Dagster run hands back (no Airflow, no server): across a retry
chain, and only plain JSON (finite numbers, bounded nesting) whatever the entry's kind."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_side.xcom_return import ReturnValueError, read_return_value
from airlift_component.dagster_api import DagsterRun, MaterializationMetadata
from airlift_component.dagster_api.metadata_values import MAX_JSON_DEPTH

ENTRY = {"__typename": "TextMetadataEntry", "label": "airlift/xcom_return_value"}


class Chain:
    """Runs ``root`` (materialized ``a`` with the value) and its retry ``retry`` (only ``b``)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.events = {
            "root": [MaterializationMetadata(("a",), ({**ENTRY, "text": "from-root"},))],
            "retry": [MaterializationMetadata(("b",), ())],
        }

    base_url = "http://dagster.test"

    def run_materializations(self, run_id: str) -> list[MaterializationMetadata]:
        self.asked.append(run_id)
        return self.events[run_id]

    def find_runs(self, tags: dict[str, str]) -> list[DagsterRun]:
        assert tags == {"dagster/root_run_id": "root"}
        return [DagsterRun("retry", "SUCCESS", {"dagster/root_run_id": "root"})]


def test_a_retry_that_did_not_rematerialize_takes_the_value_of_its_chain() -> None:
    chain: Any = Chain()
    retry = DagsterRun("retry", "SUCCESS", {"dagster/root_run_id": "root"})
    handed = read_return_value(chain, retry)
    assert (handed.found, handed.value, handed.assets) == (True, "from-root", ("a",))
    assert chain.asked == ["retry", "root"]


def test_a_run_that_is_no_retry_is_read_alone() -> None:
    chain: Any = Chain()
    handed = read_return_value(chain, DagsterRun("retry", "SUCCESS", {}))
    assert not handed.found
    assert chain.asked == ["retry"]


class OneRun:
    """A run ``r`` whose asset ``a`` hands back ``entry``."""

    base_url = "http://dagster.test"

    def __init__(self, entry: dict[str, Any]) -> None:
        self.entry = entry

    def run_materializations(self, run_id: str) -> list[MaterializationMetadata]:
        return [MaterializationMetadata(("a",), ({**self.entry, "label": ENTRY["label"]},))]


def handed_back(entry: dict[str, Any]) -> Any:
    client: Any = OneRun(entry)
    return read_return_value(client, DagsterRun("r", "SUCCESS", {})).value


def json_entry(text: str) -> dict[str, Any]:
    return {"__typename": "JsonMetadataEntry", "jsonString": text}


#: Every way a value may hold a number JSON has not: one rule, one message.
NOT_JSON_NUMBERS = [
    pytest.param(json_entry('{"total": NaN}'), id="json-nan"),
    pytest.param(json_entry("[1, Infinity]"), id="json-infinity"),
    pytest.param(json_entry('{"a": [{"b": -Infinity}]}'), id="json-nested-minus-infinity"),
    pytest.param(json_entry("NaN"), id="json-bare-nan"),
    pytest.param({"__typename": "FloatMetadataEntry", "floatRepr": "NaN"}, id="float-nan"),
    pytest.param({"__typename": "FloatMetadataEntry", "floatRepr": "inf"}, id="float-infinity"),
]


@pytest.mark.parametrize("entry", NOT_JSON_NUMBERS)
def test_nan_and_infinity_are_refused_wherever_they_are(entry: dict[str, Any]) -> None:
    with pytest.raises(ReturnValueError) as caught:
        handed_back(entry)
    message = str(caught.value)
    assert "Dagster run r (http://dagster.test/runs/r): asset a" in message
    assert "JSON has no NaN or Infinity" in message and "\n" not in message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="lists-100000-deep"),
        pytest.param('{"a":' * 5_000 + "1" + "}" * 5_000, id="objects-5000-deep"),
        pytest.param("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), id="one-too-deep"),
    ],
)
def test_deeply_nested_json_is_refused_with_one_line(text: str) -> None:
    with pytest.raises(ReturnValueError) as caught:
        handed_back(json_entry(text))
    message = str(caught.value)
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in message and "\n" not in message


def test_json_as_deep_as_allowed_and_brackets_inside_strings_are_fine() -> None:
    deepest = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert handed_back(json_entry(deepest)) is not None
    text = json.dumps({"note": "[[[[" * 200, "q": '\\"[{'})
    assert handed_back(json_entry(text)) == json.loads(text)
