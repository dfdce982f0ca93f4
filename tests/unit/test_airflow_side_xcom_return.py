"""Reading the value a Dagster run hands back (no Airflow, no server): from the run
Airflow followed and its ancestors only, one value per run, and only plain JSON (finite numbers, bounded nesting) whatever the entry's kind."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from airflow_side.xcom_return import HandedBack, ReturnValueError, read_return_value
from airlift_component.dagster_api import DagsterClient, DagsterRun, MaterializationMetadata
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


class RunGroup:
    """Dagster's GraphQL endpoint for one run group (re-executions of ``root``).

    Each run is ``(parent, created, materializations)``: a materialization is an
    asset key and the text it hands back (None: the asset sets no entry).
    Records the run ids whose materializations were read.
    """

    def __init__(self, runs: dict[str, tuple[str | None, float, list[tuple[str, str | None]]]]):
        self.runs = runs
        self.read: list[str] = []

    def _tags(self, run_id: str) -> list[dict[str, str]]:
        parent = self.runs[run_id][0]
        if parent is None:
            return []
        root = parent
        while self.runs[root][0] is not None:
            root = str(self.runs[root][0])
        return [
            {"key": "dagster/parent_run_id", "value": parent},
            {"key": "dagster/root_run_id", "value": root},
        ]

    def _run(self, run_id: str) -> dict[str, Any]:
        created = self.runs[run_id][1]
        return {
            "runId": run_id,
            "status": "SUCCESS",
            "creationTime": created,
            "tags": self._tags(run_id),
        }

    def _materializations(self, run_id: str) -> list[dict[str, Any]]:
        self.read.append(run_id)
        return [
            {
                "assetKey": {"path": [key]},
                "metadataEntries": [] if text is None else [{**ENTRY, "text": text}],
            }
            for key, text in self.runs[run_id][2]
        ]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        operation = payload["query"].split("(")[0].split()[-1]
        variables = payload["variables"]
        data: dict[str, Any]
        if operation == "AirliftRun":
            data = {"runOrError": {"__typename": "Run", **self._run(variables["runId"])}}
        elif operation == "AirliftRunMaterializations":
            run_id = variables["runId"]
            materialized = self._materializations(run_id)
            data = {
                "runOrError": {
                    "__typename": "Run",
                    "runId": run_id,
                    "assetMaterializations": materialized,
                }
            }
        elif operation == "AirliftRuns":
            wanted = {(t["key"], t["value"]) for t in variables["filter"]["tags"]}
            runs = [self._run(r) for r in self.runs]
            found = [r for r in runs if wanted <= {(t["key"], t["value"]) for t in r["tags"]}]
            data = {"runsOrError": {"__typename": "Runs", "results": found}}
        else:
            raise AssertionError(f"unexpected operation {operation}")
        return httpx.Response(200, json={"data": data})

    def hand_back(self, followed: str) -> HandedBack:
        session = httpx.Client(transport=httpx.MockTransport(self))
        client = DagsterClient("http://dagster.test", session=session)
        return read_return_value(client, client.get_run(followed))


def test_a_sibling_re_execution_is_never_read() -> None:
    # Airflow followed ``retry`` (re-executed from failure: ``a`` not run again);
    # someone re-executed ``root`` again later, handing back another value.
    group = RunGroup(
        {
            "root": (None, 1.0, [("a", "from-root")]),
            "retry": ("root", 2.0, [("b", None)]),
            "sibling": ("root", 3.0, [("a", "from-sibling")]),
        }
    )
    handed = group.hand_back("retry")
    assert (handed.found, handed.value, handed.assets) == (True, "from-root", ("a",))
    assert "sibling" not in group.read


def test_the_nearest_ancestor_answers_and_the_siblings_of_ancestors_are_skipped() -> None:
    group = RunGroup(
        {
            "root": (None, 1.0, [("a", "from-root")]),
            "first": ("root", 2.0, [("a", "from-first")]),
            "aside": ("root", 3.0, [("a", "from-aside")]),
            "aside-child": ("aside", 4.0, [("a", "from-aside-child")]),
            "second": ("first", 5.0, [("b", None)]),
            "later": ("second", 6.0, [("a", "from-later")]),
        }
    )
    handed = group.hand_back("second")
    assert handed.value == "from-first"
    assert group.read == ["second", "first"]


def test_an_ancestor_chain_with_nothing_handed_back_reads_up_to_the_root_only() -> None:
    group = RunGroup(
        {
            "root": (None, 1.0, [("b", None)]),
            "retry": ("root", 2.0, [("b", None)]),
            "sibling": ("root", 3.0, [("a", "from-sibling")]),
        }
    )
    assert not group.hand_back("retry").found
    assert group.read == ["retry", "root"]


def test_one_asset_materialized_twice_with_different_values_is_refused() -> None:
    group = RunGroup({"r": (None, 1.0, [("a", "first"), ("a", "second")])})
    with pytest.raises(ReturnValueError) as caught:
        group.hand_back("r")
    message = str(caught.value)
    assert "Dagster run r (http://dagster.test/runs/r)" in message
    assert "asset a" in message and "different values" in message and "\n" not in message


def test_one_asset_materialized_twice_with_the_same_value_hands_it_back() -> None:
    group = RunGroup({"r": (None, 1.0, [("a", "same"), ("a", "same")])})
    handed = group.hand_back("r")
    assert (handed.value, handed.assets) == ("same", ("a",))
