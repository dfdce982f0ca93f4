"""Proxy operators end to end against a fake Dagster GraphQL endpoint (Airflow 3, no servers)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from airflow.exceptions import AirflowException
from airflow.sdk import DAG

from airflow_side import (
    BaseProxyTaskToDagsterOperator,
    DagsterPlusProxyTaskToDagsterOperator,
    DefaultProxyDAGToDagsterOperator,
    DefaultProxyTaskToDagsterOperator,
)
from airflow_side._compat import get_variable
from airflow_side.operators.dagster_plus import resolve_dagster_plus
from airflow_side.operators.default import resolve_settings
from tests.unit.fake_dagster_graphql import FakeDagsterGraphQL, graphql_node, operation_name


class FakeGraphQL(FakeDagsterGraphQL):
    """The endpoint as the operators' tests read it: the DAG asset ``prod/dag/etl``
    leads to ``out`` by lineage (no task index); ``runs`` lists runs ``run-1``,
    ``run-2``, ... in launch order, each with its tags as ``tags_map``; a polled run
    ends ``final_status``; ``headers`` keeps every request's headers."""

    def __init__(self, final_status: str = "SUCCESS") -> None:
        super().__init__()
        self.final_status = final_status
        self.runs: list[dict[str, Any]] = []  # type: ignore[assignment]
        self.headers: list[dict[str, str]] = []
        #: Metadata entries of the materializations of each run (run id → events).
        self.materializations: dict[str, list[dict[str, Any]]] = {}
        dag = ["prod", "dag", "etl"]
        tags = self.nodes[tuple(dag)]["tags"]
        self.nodes[tuple(dag)] = graphql_node(dag, tags, executable=False, dependencies=[["out"]])

    def new_run_id(self) -> str:
        return f"run-{len(self.runs) + 1}"

    def _store(self, run_id: str, status: str, pairs: list[dict[str, str]]) -> None:
        tags = {pair["key"]: pair["value"] for pair in pairs}
        self.runs.append({"runId": run_id, "status": status, "tags_map": tags})

    def _listed(self) -> list[dict[str, Any]]:
        return [self.public(run) for run in self.runs]

    def _polled(self, run_id: str) -> dict[str, Any]:
        run = next(r for r in self.runs if r["runId"] == run_id)
        run["status"] = self.final_status
        return self.public(run)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.headers.append(dict(request.headers))
        return super().__call__(request)

    def _answer(
        self, request: httpx.Request, operation: str, variables: Mapping[str, Any]
    ) -> httpx.Response:
        if operation == "AirliftRunMaterializations":
            events = self.materializations.get(variables["runId"], [])
            run = {
                "__typename": "Run",
                "runId": variables["runId"],
                "assetMaterializations": events,
            }
            return httpx.Response(200, json={"data": {"runOrError": run}})
        if operation in ("AirliftLaunchRun", "AirliftRun"):
            return super()._answer(request, operation, variables)
        query = json.loads(request.content)["query"]
        return httpx.Response(200, json={"data": self.read(query, variables)})

    def read(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The data answering a query document that reads runs or asset nodes; a test's
        subclass may answer more."""
        return self._read(operation_name(query), variables)

    @staticmethod
    def public(run: dict[str, Any]) -> dict[str, Any]:
        tags = [{"key": k, "value": v} for k, v in run["tags_map"].items()]
        return {"runId": run["runId"], "status": run["status"], "creationTime": 1.0, "tags": tags}


def context(run_id: str = "manual__1", try_number: int = 1, max_tries: int = 0) -> dict[str, Any]:
    return {
        "ti": SimpleNamespace(try_number=try_number, max_tries=max_tries),
        "run_id": run_id,
        "logical_date": datetime(2026, 1, 1),
    }


def make(klass: type, fake: FakeGraphQL, **kwargs: Any) -> Any:
    class Faked(klass):  # type: ignore[misc,valid-type]
        dagster_poll_interval_seconds = 0.0

        def get_dagster_session(self, ctx: Any) -> httpx.Client:
            return httpx.Client(transport=httpx.MockTransport(fake))

    Faked.__name__ = klass.__name__
    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    task_id = kwargs.pop("task_id", "load")
    return Faked(task_id=task_id, dag=dag, airlift_instance="prod", **kwargs)


@pytest.fixture
def dagster_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_URL", "http://dagster.test:3000")
    monkeypatch.delenv("AIRFLOW_CONN_DAGSTER_DEFAULT", raising=False)


def test_task_proxy_launches_one_run_tagged_with_the_task(dagster_env: None) -> None:
    fake = FakeGraphQL()
    operator = make(DefaultProxyTaskToDagsterOperator, fake)
    assert operator.launch_runs_for_task(context(), "etl", "load") == "run-1"
    assert fake.runs[0]["tags_map"]["airlift/airflow_task_id"] == "load"
    assert fake.runs[0]["tags_map"]["airlift/airflow_run_id"] == "manual__1"


def test_same_try_again_after_success_launches_nothing(dagster_env: None) -> None:
    fake = FakeGraphQL()
    operator = make(DefaultProxyTaskToDagsterOperator, fake)
    operator.execute(context())
    assert operator.launch_runs_for_task(context(try_number=1), "etl", "load") == "run-1"
    assert len(fake.runs) == 1


def test_cleared_task_launches_a_new_run_for_its_new_try(dagster_env: None) -> None:
    fake = FakeGraphQL()
    operator = make(DefaultProxyTaskToDagsterOperator, fake)
    operator.execute(context())
    # Clearing after try 1 sets max_tries to try_number + retries = 1.
    operator.execute(context(try_number=2, max_tries=1))
    assert [r["runId"] for r in fake.runs] == ["run-1", "run-2"]
    assert fake.runs[1]["tags_map"]["airlift/airflow_try_number"] == "2"


def test_retry_after_a_lost_worker_reuses_the_succeeded_run(dagster_env: None) -> None:
    fake = FakeGraphQL()
    operator = make(DefaultProxyTaskToDagsterOperator, fake, retries=1)
    operator.execute(context(max_tries=1))
    operator.execute(context(try_number=2, max_tries=1))
    assert len(fake.runs) == 1


def test_failed_run_fails_the_task_with_run_id_and_link(dagster_env: None) -> None:
    operator = make(DefaultProxyTaskToDagsterOperator, FakeGraphQL("FAILURE"))
    with pytest.raises(
        AirflowException, match=r"run-1 ended FAILURE; see http://dagster.test:3000/runs/run-1"
    ):
        operator.execute(context())


def test_dag_proxy_runs_all_the_dags_assets(dagster_env: None) -> None:
    fake = FakeGraphQL()
    operator = make(DefaultProxyDAGToDagsterOperator, fake, task_id="DAGSTER_OVERRIDE_DAG_etl")
    assert operator.execute(context()) is None
    assert fake.runs[0]["tags_map"]["airlift/airflow_task_id"] == "__dag__"


def test_unreachable_dagster_fails_fast_naming_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_URL", "http://127.0.0.1:1")
    monkeypatch.delenv("AIRFLOW_CONN_DAGSTER_DEFAULT", raising=False)
    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    operator = DefaultProxyTaskToDagsterOperator(task_id="load", dag=dag, airlift_instance="prod")
    with pytest.raises(AirflowException, match=r"127\.0\.0\.1:1/graphql is unreachable"):
        operator.execute(context())


def test_missing_instance_name_is_explained(
    dagster_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRLIFT_INSTANCE", raising=False)
    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    operator = DefaultProxyTaskToDagsterOperator(task_id="load", dag=dag)
    with pytest.raises(AirflowException, match="AIRLIFT_INSTANCE"):
        operator.execute(context())


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_DAGSTER_DEFAULT", raising=False)
    monkeypatch.setenv("DAGSTER_URL", "http://d:3000")
    monkeypatch.setenv("DAGSTER_API_TOKEN", "tok-123456")
    monkeypatch.setenv("AIRLIFT_INSTANCE", "prod")
    settings = resolve_settings()
    assert (settings.url, settings.token, settings.instance) == (
        "http://d:3000",
        "tok-123456",
        "prod",
    )
    assert "tok-123456" not in repr(settings)


@pytest.mark.parametrize(
    ("conn", "url"),
    [
        ({"conn_type": "http", "host": "http://d:3000", "password": "tok-abcdef"}, "http://d:3000"),
        ({"conn_type": "https", "host": "d.example", "port": 8443}, "https://d.example:8443"),
    ],
    ids=["full-url-host", "host-and-port"],
)
def test_settings_from_connection(
    monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any], url: str
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_DAGSTER_DEFAULT", json.dumps({**conn, "extra": {"instance": "conn_inst"}})
    )
    monkeypatch.setenv("DAGSTER_URL", "http://ignored:1")
    settings = resolve_settings()
    assert settings.url == url
    assert settings.instance == "conn_inst"
    assert settings.token == conn.get("password")


def test_no_settings_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_DAGSTER_DEFAULT", raising=False)
    monkeypatch.delenv("DAGSTER_URL", raising=False)
    with pytest.raises(AirflowException, match=r"dagster_default.*DAGSTER_URL"):
        resolve_settings()


def test_dagster_plus_from_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_DAGSTER_PLUS_DEFAULT", raising=False)
    monkeypatch.setenv("AIRFLOW_VAR_DAGSTER_PLUS_ORGANIZATION", "acme")
    monkeypatch.setenv("AIRFLOW_VAR_DAGSTER_PLUS_DEPLOYMENT", "staging")
    monkeypatch.setenv("AIRFLOW_VAR_DAGSTER_PLUS_USER_TOKEN", "user-token-xyz")
    settings = resolve_dagster_plus()
    assert settings.url == "https://acme.dagster.cloud/staging"
    assert settings.token == "user-token-xyz"


#: The Dagster+ connection of organization acme, deployment prod, token t-12345.
DAGSTER_PLUS_ACME_PROD = json.dumps(
    {"conn_type": "generic", "host": "acme", "schema": "prod", "password": "t-12345"}
)


def test_dagster_plus_from_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_DAGSTER_PLUS_DEFAULT", DAGSTER_PLUS_ACME_PROD)
    settings = resolve_dagster_plus()
    assert settings.url == "https://acme.dagster.cloud/prod"
    assert settings.token == "t-12345"


def test_dagster_plus_operator_sends_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_DAGSTER_PLUS_DEFAULT", DAGSTER_PLUS_ACME_PROD)
    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    operator = DagsterPlusProxyTaskToDagsterOperator(task_id="load", dag=dag)
    session = operator.get_dagster_session({})
    assert session.headers["Dagster-Cloud-Api-Token"] == "t-12345"
    assert operator.get_dagster_url({}) == "https://acme.dagster.cloud/prod"
    session.close()


class ApiKeyProxyTaskToDagsterOperator(BaseProxyTaskToDagsterOperator):
    """The documented custom-auth example: an API key header from an Airflow Variable."""

    def get_dagster_url(self, context: Any) -> str:
        return "http://dagster.test:3000"

    def get_dagster_session(self, context: Any) -> httpx.Client:
        return httpx.Client(headers={"X-Api-Key": get_variable("dagster_api_key")})


def test_custom_operator_adds_api_key_from_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_DAGSTER_API_KEY", "key-from-variable")
    fake = FakeGraphQL()
    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    operator = ApiKeyProxyTaskToDagsterOperator(task_id="load", dag=dag, airlift_instance="prod")
    operator.dagster_poll_interval_seconds = 0.0
    session = operator.get_dagster_session({})
    session._transport = httpx.MockTransport(fake)
    operator.get_dagster_session = lambda ctx: session  # type: ignore[method-assign]
    operator.execute(context())
    assert [r["runId"] for r in fake.runs] == ["run-1"]
    assert {h["x-api-key"] for h in fake.headers} == {"key-from-variable"}


class RecordingTI(SimpleNamespace):
    """A task instance that keeps what the operator pushes to XCom."""

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def ti_context(log_url: str) -> dict[str, Any]:
    ti = RecordingTI(try_number=1, max_tries=0, pushed={}, log_url=log_url)
    return {**context(), "ti": ti}


def test_run_url_is_remembered_for_the_dagster_run_link(dagster_env: None) -> None:
    from airflow_side.links import RUN_URL_XCOM_KEY, DagsterRunLink

    operator = make(DefaultProxyTaskToDagsterOperator, FakeGraphQL())
    ctx = ti_context("http://airflow.test/dags/etl/runs/manual__1/tasks/load?try_number=1")
    operator.execute(ctx)
    assert ctx["ti"].pushed[RUN_URL_XCOM_KEY] == "http://dagster.test:3000/runs/run-1"
    [link] = operator.operator_extra_links
    assert isinstance(link, DagsterRunLink)
    assert link.name == "Dagster run"
    assert link.xcom_key == RUN_URL_XCOM_KEY
    assert link.get_link(operator, ti_key=ctx["ti"]) == "http://dagster.test:3000/runs/run-1"


def test_reused_run_is_the_link_of_the_new_try(dagster_env: None) -> None:
    from airflow_side.links import RUN_URL_XCOM_KEY

    operator = make(DefaultProxyTaskToDagsterOperator, FakeGraphQL(), retries=1)
    operator.execute(ti_context("http://airflow.test/t"))
    retry = ti_context("http://airflow.test/t")
    retry["ti"].try_number, retry["ti"].max_tries = 2, 1
    operator.execute(retry)
    assert retry["ti"].pushed[RUN_URL_XCOM_KEY] == "http://dagster.test:3000/runs/run-1"


def test_dag_proxy_has_the_link_too(dagster_env: None) -> None:
    from airflow_side.links import RUN_URL_XCOM_KEY

    operator = make(
        DefaultProxyDAGToDagsterOperator, FakeGraphQL(), task_id="DAGSTER_OVERRIDE_DAG_etl"
    )
    ctx = ti_context("http://airflow.test/t")
    operator.execute(ctx)
    assert ctx["ti"].pushed[RUN_URL_XCOM_KEY] == "http://dagster.test:3000/runs/run-1"
    assert [link.name for link in operator.operator_extra_links] == ["Dagster run"]


def test_run_is_tagged_with_the_task_instance_url_without_userinfo(dagster_env: None) -> None:
    fake = FakeGraphQL()
    operator = make(DefaultProxyTaskToDagsterOperator, fake)
    url = "https://admin:s3cret@airflow.test/dags/etl/runs/manual__1/tasks/load?try_number=1"
    operator.execute(ti_context(url))
    tagged = fake.runs[0]["tags_map"]["airlift/airflow_task_instance_url"]
    assert tagged == "https://airflow.test/dags/etl/runs/manual__1/tasks/load?try_number=1"
    assert "s3cret" not in json.dumps(fake.runs)


def test_no_task_instance_url_no_tag(dagster_env: None) -> None:
    fake = FakeGraphQL()
    make(DefaultProxyTaskToDagsterOperator, fake).execute(context())
    assert "airlift/airflow_task_instance_url" not in fake.runs[0]["tags_map"]


def test_dag_with_the_link_serializes_as_an_xcom_link() -> None:
    """Airflow 3 serializes a link as its name and XCom key (what its UI and API read)."""
    from airflow.serialization.serialized_objects import DagSerialization

    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    DefaultProxyTaskToDagsterOperator(task_id="load", dag=dag)
    [task] = DagSerialization.to_dict(dag)["dag"]["tasks"]
    assert task["__var"]["_operator_extra_links"] == {"Dagster run": "airlift_dagster_run_url"}


def handing_back(*entries: dict[str, Any], asset: str = "out") -> FakeGraphQL:
    """A fake whose run-1 materializes ``asset`` with these metadata entries."""
    fake = FakeGraphQL()
    event = {"assetKey": {"path": asset.split("/")}, "metadataEntries": list(entries)}
    fake.materializations["run-1"] = [event]
    return fake


def entry(kind: str, label: str = "airlift/xcom_return_value", **fields: Any) -> dict[str, Any]:
    return {"__typename": kind, "label": label, **fields}


@pytest.mark.parametrize(
    ("handed", "expected"),
    [
        (
            entry("JsonMetadataEntry", jsonString='{"total_order_value": 1236.7}'),
            {"total_order_value": 1236.7},
        ),
        (entry("TextMetadataEntry", text="s3://bucket/key"), "s3://bucket/key"),
        (entry("IntMetadataEntry", intRepr="12345678901"), 12345678901),
        (entry("FloatMetadataEntry", floatRepr="2.5"), 2.5),
        (entry("BoolMetadataEntry", boolValue=True), True),
    ],
    ids=["json", "text", "int", "float", "bool"],
)
def test_value_handed_back_by_the_run_is_the_return_value(
    dagster_env: None, handed: dict[str, Any], expected: Any
) -> None:
    other = entry("TextMetadataEntry", label="rows", text="3")
    operator = make(DefaultProxyTaskToDagsterOperator, handing_back(other, handed))
    assert operator.execute(context()) == expected


def test_nothing_handed_back_returns_none(dagster_env: None) -> None:
    other = entry("TextMetadataEntry", label="rows", text="3")
    operator = make(DefaultProxyTaskToDagsterOperator, handing_back(other))
    assert operator.execute(context()) is None


def test_dag_proxy_returns_nothing_even_when_a_value_is_handed_back(dagster_env: None) -> None:
    fake = handing_back(entry("TextMetadataEntry", text="x"))
    operator = make(DefaultProxyDAGToDagsterOperator, fake, task_id="DAGSTER_OVERRIDE_DAG_etl")
    assert operator.execute(context()) is None


def test_multiple_outputs_needs_a_dict(dagster_env: None) -> None:
    fake = handing_back(entry("TextMetadataEntry", text="not a dict"))
    operator = make(DefaultProxyTaskToDagsterOperator, fake, multiple_outputs=True)
    with pytest.raises(AirflowException, match=r"multiple_outputs=True.*handed back a str in out"):
        operator.execute(context())


def test_different_values_from_two_assets_are_refused(dagster_env: None) -> None:
    fake = handing_back(entry("TextMetadataEntry", text="a"))
    fake.materializations["run-1"].append(
        {"assetKey": {"path": ["other"]}, "metadataEntries": [entry("TextMetadataEntry", text="b")]}
    )
    with pytest.raises(AirflowException, match=r"assets other, out set different values"):
        make(DefaultProxyTaskToDagsterOperator, fake).execute(context())


def test_oversized_value_is_refused_naming_the_limit(dagster_env: None) -> None:
    big = json.dumps({"rows": ["x" * 100] * 1000})
    fake = handing_back(entry("JsonMetadataEntry", jsonString=big))
    with pytest.raises(AirflowException, match=r"bytes as JSON, over the limit of 65536"):
        make(DefaultProxyTaskToDagsterOperator, fake).execute(context())
    operator = make(
        DefaultProxyTaskToDagsterOperator, handing_back(entry("JsonMetadataEntry", jsonString=big))
    )
    operator.xcom_return_value_max_bytes = 200_000
    assert operator.execute(context()) == json.loads(big)


def test_value_of_an_unsupported_kind_is_refused(dagster_env: None) -> None:
    fake = handing_back(entry("MarkdownMetadataEntry", mdStr="# hi"))
    with pytest.raises(
        AirflowException,
        match=r"asset out set airlift/xcom_return_value to a MarkdownMetadataEntry",
    ):
        make(DefaultProxyTaskToDagsterOperator, fake).execute(context())


def test_nothing_handed_back_to_readers_is_warned_in_the_task_log(
    dagster_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    operator = make(DefaultProxyTaskToDagsterOperator, FakeGraphQL())
    operator.airlift_xcom_consumers = {"report": ["return_value"]}
    assert operator.execute(context()) is None
    out = capsys.readouterr()
    assert "its XCom is read by report" in out.out + out.err
    assert "Dagster run run-1 handed nothing back" in out.out + out.err


def test_dagster_run_link_never_shows_dagster_userinfo(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_side.links import RUN_URL_XCOM_KEY

    monkeypatch.setenv("DAGSTER_URL", "http://user:pa55word@dagster.test:3000")
    monkeypatch.delenv("AIRFLOW_CONN_DAGSTER_DEFAULT", raising=False)
    operator = make(DefaultProxyTaskToDagsterOperator, FakeGraphQL())
    ctx = ti_context("http://airflow.test/t")
    operator.execute(ctx)
    assert ctx["ti"].pushed[RUN_URL_XCOM_KEY] == "http://dagster.test:3000/runs/run-1"
