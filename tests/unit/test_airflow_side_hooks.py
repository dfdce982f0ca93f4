"""dagster-airlift's overridable operator methods are called (Airflow 3, fake GraphQL).

Each test overrides one hook the way a dagster-airlift subclass does and checks
that the run launched against the fake Dagster shows its effect.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from airflow.exceptions import AirflowException
from airflow.sdk import DAG

from airflow_side import BaseDagsterAssetsOperator, BaseProxyTaskToDagsterOperator
from tests.unit.test_airflow_side_operators import FakeGraphQL, context


class FakeSessionOperator(BaseProxyTaskToDagsterOperator):
    """The dagster-airlift custom-auth shape: own URL, own session."""

    fake: FakeGraphQL
    dagster_poll_interval_seconds = 0.0

    def get_dagster_url(self, context: Any) -> str:
        return "http://dagster.test:3000"

    def get_dagster_session(self, context: Any) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.fake))


def run(klass: type[FakeSessionOperator], fake: FakeGraphQL, **ctx: Any) -> str:
    """Execute the operator as Airflow does; returns the run id of the task's run."""
    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    operator = klass(task_id="load", dag=dag, airlift_instance="prod")
    operator.fake = fake
    launched: list[str] = []
    launch = operator.launch_runs_for_task

    def recording(context: Any, dag_id: str, task_id: str) -> str:
        launched.append(launch(context, dag_id, task_id))
        return launched[-1]

    operator.launch_runs_for_task = recording  # type: ignore[method-assign]
    operator.execute({**context(), **ctx})
    return launched[-1]


def test_default_dagster_run_tags_override_reaches_the_run() -> None:
    class Tagged(FakeSessionOperator):
        def default_dagster_run_tags(self, context: Any) -> dict[str, str]:
            return {**super().default_dagster_run_tags(context), "team": "payments"}

    fake = FakeGraphQL()
    run(Tagged, fake)
    tags = fake.runs[0]["tags_map"]
    assert tags["team"] == "payments"
    assert tags["airlift/airflow_task_id"] == "load"
    assert tags["airlift/airflow_instance"] == "prod"


def test_identity_tags_survive_an_override_that_drops_them() -> None:
    class Careless(FakeSessionOperator):
        def default_dagster_run_tags(self, context: Any) -> dict[str, str]:
            return {"only": "mine"}

    fake = FakeGraphQL()
    run(Careless, fake)
    assert fake.runs[0]["tags_map"]["only"] == "mine"
    assert fake.runs[0]["tags_map"]["airlift/airflow_run_id"] == "manual__1"


def test_should_defer_asset_events_adds_dagsters_tag() -> None:
    class Deferring(FakeSessionOperator):
        @property
        def should_defer_asset_events(self) -> bool:
            return True

    fake = FakeGraphQL()
    run(Deferring, fake)
    assert fake.runs[0]["tags_map"]["dagster/defer_asset_events"] == "true"


def test_get_airflow_dag_id_chooses_the_assets_and_the_tag() -> None:
    class Renamed(FakeSessionOperator):
        def get_airflow_dag_id(self, context: Any) -> str:
            return "etl"  # the fake maps assets to DAG "etl" only

    fake = FakeGraphQL()
    dag_run = SimpleNamespace(dag_id="etl_v2", run_id="manual__1")
    run(Renamed, fake, dag_run=dag_run)
    assert fake.runs[0]["tags_map"]["airlift/airflow_dag_id"] == "etl"


def test_dag_id_comes_from_the_dag_run_by_default() -> None:
    fake = FakeGraphQL()
    with pytest.raises(AirflowException, match="no executable asset mapped to task 'load'"):
        run(FakeSessionOperator, fake, dag_run=SimpleNamespace(dag_id="other", run_id="r"))


def test_filter_asset_nodes_gets_graphql_nodes_and_can_drop_all() -> None:
    seen: list[Sequence[Mapping[str, Any]]] = []

    class Picky(FakeSessionOperator):
        def filter_asset_nodes(
            self, context: Any, asset_nodes: Sequence[Mapping[str, Any]]
        ) -> Iterable[Mapping[str, Any]]:
            seen.append(asset_nodes)
            return [n for n in asset_nodes if n["assetKey"]["path"] != ["out"]]

    with pytest.raises(AirflowException, match=r"Picky.filter_asset_nodes kept none .*\(out\)"):
        run(Picky, FakeGraphQL())
    assert [n["assetKey"]["path"] for n in seen[0]] == [["out"]]


def test_get_valid_graphql_response_override_reads_every_answer() -> None:
    keys: list[str] = []

    class Reading(FakeSessionOperator):
        def get_valid_graphql_response(self, response: Any, key: str) -> Any:
            keys.append(key)
            return super().get_valid_graphql_response(response, key)

    run(Reading, FakeGraphQL())
    assert {"runsOrError", "assetNodes", "launchRun", "runOrError"} <= set(keys)


def test_get_valid_graphql_response_errors_fail_the_task_naming_the_request() -> None:
    class Strict(FakeSessionOperator):
        def get_valid_graphql_response(self, response: Any, key: str) -> Any:
            raise RuntimeError(f"no {key} for you")

    with pytest.raises(AirflowException, match=r"no runsOrError for you.*AirliftRunsAndAssetNodes"):
        run(Strict, FakeGraphQL())


def test_launch_dagster_run_and_get_dagster_run_obj_are_the_transport() -> None:
    calls: list[str] = []

    class Own(FakeSessionOperator):
        def launch_dagster_run(
            self, context: Any, session: Any, dagster_url: str, execution_params: Any
        ) -> str:
            calls.append(f"launch {dagster_url} {execution_params['selector']['jobName']}")
            return super().launch_dagster_run(context, session, dagster_url, execution_params)

        def get_dagster_run_obj(self, session: Any, dagster_url: str, run_id: str) -> Any:
            calls.append(f"poll {run_id}")
            return super().get_dagster_run_obj(session, dagster_url, run_id)

    assert run(Own, FakeGraphQL()) == "run-1"
    assert calls == ["launch http://dagster.test:3000 __ASSET_JOB", "poll run-1"]


def test_launch_runs_for_task_is_what_execute_calls() -> None:
    class Counting(FakeSessionOperator):
        def launch_runs_for_task(self, context: Any, dag_id: str, task_id: str) -> str:
            return f"{dag_id}.{task_id}"

    assert run(Counting, FakeGraphQL()) == "etl.load"


def test_dagster_run_status_poll_interval_is_accepted() -> None:
    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    operator = FakeSessionOperator(task_id="load", dag=dag, dagster_run_status_poll_interval=7)
    assert operator.dagster_poll_interval_seconds == 7


def test_overriding_a_method_that_is_never_called_warns() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        class Waiting(BaseProxyTaskToDagsterOperator):
            def wait_for_run_to_complete(self, *args: Any) -> None:
                pass

    assert any("wait_for_run_to_complete is never called" in str(w.message) for w in caught)
    assert issubclass(Waiting, BaseDagsterAssetsOperator)
