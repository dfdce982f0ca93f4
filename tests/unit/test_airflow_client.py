"""AirflowClient against the fake Airflow server, in both API shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.airflow_api.retry import RetryPolicy
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirflowApiError
from tests.harness.fake_airflow import FakeAirflow

FAST = RetryPolicy(retries=3, deadline_seconds=5, backoff_base=0.001, backoff_max=0.005)
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["v1", "v2"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeAirflow]:
    with FakeAirflow(api=request.param, username="admin", password="pw") as server:
        yield server


def client_for(fake: FakeAirflow, **config: Any) -> AirflowClient:
    instance = Instance.model_validate(fake.instance_config(**config), strict=False)
    return AirflowClient(instance, retry_policy=FAST)


def test_auto_detects_the_api_version_once(fake: FakeAirflow) -> None:
    with client_for(fake) as client:
        assert client.api_version() == fake.api
        assert client.api_version() == fake.api
        assert client.airflow_version() == fake.airflow_version
    probes = [r.path for r in fake.request_log if r.path.endswith("/version")]
    expected = ["/api/v2/version"] if fake.api == "v2" else ["/api/v2/version", "/api/v1/version"]
    assert probes == expected


def test_a_pinned_version_sends_no_probe(fake: FakeAirflow) -> None:
    fake.add_dag("a")
    with client_for(fake, api=fake.api) as client:
        assert client.api_version() == fake.api
        assert [d.dag_id for d in client.list_dags()] == ["a"]
    assert not [r for r in fake.request_log if r.path.endswith("/version")]


def test_list_dags_pages_and_applies_include_exclude_and_tags(fake: FakeAirflow) -> None:
    for i in range(120):
        fake.add_dag(f"sales_{i:03d}", tags=["sales"] if i % 2 else ["other"])
    fake.add_dag("marketing", tags=["sales"])
    dags_filter = {"include": ["sales_*"], "exclude": ["sales_00*"], "tags": ["sales"]}
    with client_for(fake, dags=dags_filter) as client:
        dags = client.list_dags()
        everything = client.list_dags(apply_filter=False)
    assert [d.dag_id for d in dags] == [f"sales_{i:03d}" for i in range(11, 120, 2)]
    assert len(everything) == 121
    first = fake.api_requests(r"/dags$")[0]
    assert first.query["dag_id_pattern"] == ["sales_"]
    assert first.query["tags"] == ["sales"]


def test_list_tasks_reads_downstream_ids_and_operator(fake: FakeAirflow) -> None:
    fake.add_dag("etl", tasks={"extract": ["transform"], "transform": ["load"], "load": []})
    with client_for(fake) as client:
        tasks = {t.task_id: t for t in client.list_tasks("etl")}
        dag = client.get_dag("etl")
    assert tasks["extract"].downstream_task_ids == ("transform",)
    assert tasks["load"].downstream_task_ids == ()
    assert tasks["load"].operator == "EmptyOperator"
    assert dag.dag_id == "etl" and dag.schedule == "@daily"


def test_finished_runs_are_one_batch_sorted_by_end_date(fake: FakeAirflow) -> None:
    fake.add_dag("b", tasks={"t": []})
    fake.add_dag("a", tasks={"t": []})
    fake.add_finished_run("b", "r1", end_date=T0 + timedelta(minutes=2))
    fake.add_finished_run("a", "r2", end_date=T0 + timedelta(minutes=2), state="failed")
    fake.add_finished_run("a", "r0", end_date=T0 + timedelta(minutes=1))
    fake.add_finished_run("a", "old", end_date=T0 - timedelta(days=3))
    fake.add_run("a", "running", state="running")
    with client_for(fake) as client:
        runs = client.list_finished_dag_runs(end_date_gte=T0)
        only_b = client.list_finished_dag_runs(end_date_gte=T0, dag_ids=["b"])
        none = client.list_finished_dag_runs(end_date_gte=T0, dag_ids=[])
    assert [(r.dag_id, r.run_id, r.state) for r in runs] == [
        ("a", "r0", "success"),
        ("a", "r2", "failed"),
        ("b", "r1", "success"),
    ]
    assert runs[0].end_date == T0 + timedelta(minutes=1)
    assert runs[0].logical_date is not None
    assert [r.run_id for r in only_b] == ["r1"]
    assert none == []
    assert len(fake.api_requests(r"dagRuns/list$")) == 2


def test_task_instances_are_fetched_in_batches_across_runs(fake: FakeAirflow) -> None:
    for dag in ("a", "b"):
        fake.add_dag(dag, tasks={"t1": ["t2"], "t2": []})
        for i in range(60):
            fake.add_finished_run(dag, f"run_{i}", end_date=T0 + timedelta(seconds=i))
    fake.add_finished_run("a", "other", end_date=T0)
    with client_for(fake) as client:
        runs = [r for r in client.list_finished_dag_runs(end_date_gte=T0) if r.run_id != "other"]
        tis = client.list_task_instances(runs)
    assert len(runs) == 120
    assert len(tis) == 240
    assert {(ti.dag_id, ti.run_id) for ti in tis} == {(r.dag_id, r.run_id) for r in runs}
    assert all(ti.state == "success" and ti.try_number == 1 for ti in tis)
    assert len(fake.api_requests(r"taskInstances/list$")) < 10


def test_v1_payloads_with_only_execution_date_are_read() -> None:
    with FakeAirflow(api="v1", legacy_execution_date=True) as fake:
        fake.add_dag("a", tasks={"t": []})
        fake.add_finished_run("a", "r", end_date=T0, logical_date=T0 - timedelta(hours=1))
        with client_for(fake) as client:
            (run,) = client.list_finished_dag_runs(end_date_gte=T0 - timedelta(minutes=1))
    assert run.logical_date == T0 - timedelta(hours=1)


def test_trigger_then_read_the_run(fake: FakeAirflow) -> None:
    fake.add_dag("a", tasks={"t": []})
    with client_for(fake) as client:
        run = client.trigger_dag_run("a", conf={"x": 1})
        assert run.state == "queued" and run.conf == {"x": 1}
        fake.finish_run("a", run.run_id, "success")
        assert client.get_dag_run("a", run.run_id).state == "success"
        named = client.trigger_dag_run("a", run_id="my run+1:2")
        assert client.get_dag_run("a", "my run+1:2").run_id == named.run_id
    trigger = fake.api_requests(r"/dags/a/dagRuns$")[0]
    if fake.api == "v2":
        assert "logical_date" in trigger.body and trigger.body["logical_date"] is None
    else:
        assert "logical_date" not in trigger.body


def test_a_trigger_retried_after_a_lost_answer_starts_one_run(fake: FakeAirflow) -> None:
    fake.add_dag("a", tasks={"t": []})
    # The first attempt creates the run, but its answer is lost (a 502 from a proxy).
    original = fake.on_request

    def lose_first_answer(request: Any) -> None:
        if request.method == "POST" and request.path.endswith("/dags/a/dagRuns") and not fake.runs:
            fake.add_run("a", request.body["dag_run_id"], state="queued")
            fake.fail_next(1, status=502, path="/dags/a/dagRuns")

    fake.on_request = lose_first_answer
    with client_for(fake) as client:
        run = client.trigger_dag_run("a")
    fake.on_request = original
    assert len(fake.runs) == 1
    assert run.run_id == next(iter(fake.runs.values())).run_id


def test_triggering_an_existing_run_id_is_a_clear_conflict(fake: FakeAirflow) -> None:
    fake.add_dag("a", tasks={"t": []})
    fake.add_run("a", "taken")
    with client_for(fake) as client, pytest.raises(AirflowApiError, match="exists already") as err:
        client.trigger_dag_run("a", run_id="taken")
    assert err.value.status == 409


def test_set_paused(fake: FakeAirflow) -> None:
    fake.add_dag("a")
    with client_for(fake) as client:
        client.set_paused("a", True)
        assert fake.dags["a"].is_paused
        client.set_paused("a", False)
        assert not client.get_dag("a").is_paused


def test_missing_dag_is_a_404_naming_the_path(fake: FakeAirflow) -> None:
    with client_for(fake) as client, pytest.raises(AirflowApiError) as err:
        client.list_tasks("nope")
    assert err.value.status == 404
    assert f"/api/{fake.api}/dags/nope/tasks" in str(err.value)
    assert "'fake'" in str(err.value)


def test_ui_urls_follow_the_airflow_major(fake: FakeAirflow) -> None:
    with client_for(fake) as client:
        run_url = client.run_ui_url("my dag", "manual__1+2")
        dag_url = client.dag_ui_url("my dag")
    if fake.api == "v2":
        assert dag_url == f"{fake.url}/dags/my%20dag"
        assert run_url == f"{fake.url}/dags/my%20dag/runs/manual__1%2B2"
    else:
        assert dag_url == f"{fake.url}/dags/my%20dag/grid"
        assert run_url == f"{fake.url}/dags/my%20dag/grid?dag_run_id=manual__1%2B2"


def test_request_count_counts_every_http_call(fake: FakeAirflow) -> None:
    fake.add_dag("a")
    with client_for(fake, api=fake.api) as client:
        client.list_dags()
        client.get_dag("a")
        assert client.request_count == len(fake.request_log)


def test_for_url_builds_basic_token_or_no_auth() -> None:
    with FakeAirflow(api="v2", token="tok") as fake:
        fake.add_dag("a")
        with AirflowClient.for_url(fake.url, token="tok", retry_policy=FAST) as client:
            assert [d.dag_id for d in client.list_dags()] == ["a"]
            assert "tok" not in repr(client)
        assert fake.request_log[-1].headers["Authorization"] == "Bearer tok"
