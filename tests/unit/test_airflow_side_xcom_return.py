"""Reading the value a Dagster run hands back, across a retry chain (no Airflow, no server)."""

from __future__ import annotations

from typing import Any

from airflow_side.xcom_return import read_return_value
from airlift_component.dagster_api import DagsterRun, MaterializationMetadata

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
