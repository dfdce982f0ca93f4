"""proxying_to_dagster and the cluster policy on real Airflow 3 (this venv) and Airflow 2.

Each interpreter imports a folder of DAG files once (as Airflow's parser does)
and reports what it built as JSON; the tests read that report.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.unit.child_python import INTERPRETERS, ROOT

HEADER = """
from datetime import datetime, timedelta
from pathlib import Path
try:
    from airflow.sdk import DAG, Asset, TaskGroup
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:
    from airflow.models import DAG
    from airflow.datasets import Dataset as Asset
    from airflow.utils.task_group import TaskGroup
    from airflow.operators.empty import EmptyOperator
    from airflow.operators.python import PythonOperator
from airflow_side import proxying_to_dagster, load_proxied_state_from_yaml
STATE = load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state")
def on_fail(context):
    pass
"""

DAG_FILES = {
    "task_level": """
with DAG("task_level", start_date=datetime(2024, 1, 1), schedule=None,
         default_args={"retries": 2, "owner": "data"}) as dag:
    extract = EmptyOperator(task_id="extract")
    with TaskGroup("grp") as grp:
        load = EmptyOperator(task_id="load", retries=5, pool="p1", queue="q1",
                             retry_delay=timedelta(seconds=7), on_failure_callback=on_fail,
                             execution_timeout=timedelta(minutes=3), trigger_rule="all_done")
        after = EmptyOperator(task_id="after")
        load >> after
    extract >> load
    final = EmptyOperator(task_id="final")
    grp >> final
proxying_to_dagster(global_vars=globals(), proxied_state=STATE)
""",
    "whole": """
with DAG("whole", start_date=datetime(2024, 1, 1), schedule=None, tags=["team"]) as dag:
    with TaskGroup("grp"):
        a = EmptyOperator(task_id="a", outlets=[Asset("s3://lake/a")])
    b = EmptyOperator(task_id="b", outlets=[Asset("s3://lake/b"), Asset("s3://lake/a")])
    a >> b
proxying_to_dagster(global_vars=globals(), proxied_state=STATE)
""",
    "whole_off": """
with DAG("whole_off", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    a = EmptyOperator(task_id="a")
    b = EmptyOperator(task_id="b")
    a >> b
proxying_to_dagster(global_vars=globals(), proxied_state=STATE)
""",
    "no_file": """
with DAG("no_file", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    a = EmptyOperator(task_id="a")
proxying_to_dagster(global_vars=globals(), proxied_state=STATE)
""",
    "broken": """
with DAG("broken", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    a = EmptyOperator(task_id="a")
proxying_to_dagster(global_vars=globals(), proxied_state=STATE)
""",
    "mapped": """
with DAG("mapped", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    fan = PythonOperator.partial(task_id="fan", python_callable=print).expand(op_args=[[1], [2]])
proxying_to_dagster(global_vars=globals(), proxied_state=STATE)
""",
    "missing_task": """
with DAG("missing_task", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    a = EmptyOperator(task_id="a")
proxying_to_dagster(global_vars=globals(), proxied_state=STATE)
""",
    "factory": """
for name in ("factory_ok", "factory_broken", "factory_plain"):
    with DAG(name, start_date=datetime(2024, 1, 1), schedule=None) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    globals()[name] = dag
proxying_to_dagster(global_vars=globals(), proxied_state=STATE)
""",
    "taskflow": """
try:
    from airflow.sdk import task
except ImportError:
    from airflow.decorators import task
with DAG("taskflow", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    @task()
    def extract():
        return {"1001": 301.27}
    @task(multiple_outputs=True)
    def transform(data):
        return {"total_order_value": sum(data.values())}
    @task()
    def load(total):
        print(total)
    summary = transform(extract())
    load(summary["total_order_value"])
    PythonOperator(task_id="templated", python_callable=print,
                   op_args=["{{ ti.xcom_pull(task_ids='transform') }}"])
    @task()
    def alone():
        return 1
    alone()
proxying_to_dagster(global_vars=globals(), proxied_state=STATE)
""",
    "custom": """
from airflow_side import BaseProxyTaskToDagsterOperator
class ApiKeyProxyTaskToDagsterOperator(BaseProxyTaskToDagsterOperator):
    def get_dagster_url(self, context):
        return "http://dagster.internal:3000"
    def get_dagster_session(self, context):
        import httpx
        return httpx.Client(headers={"X-Api-Key": "from-a-variable"})
with DAG("custom", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    a = EmptyOperator(task_id="a")
proxying_to_dagster(global_vars=globals(), proxied_state=STATE,
                    dagster_operator_klass=ApiKeyProxyTaskToDagsterOperator)
""",
}

POLICY_FILE = """
from datetime import datetime
try:
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator
except ImportError:
    from airflow.models import DAG
    from airflow.datasets import Dataset as Asset
    from airflow.operators.empty import EmptyOperator
with DAG("{dag_id}", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    a = EmptyOperator(task_id="a")
    b = EmptyOperator(task_id="b")
    a >> b
"""

STATES = {
    "task_level": "tasks:\n  - id: extract\n    proxied: false\n  - id: grp.load\n    proxied: true\n",
    "whole": "proxied: true\n",
    "whole_off": "proxied: false\n",
    "broken": "tasks:\n  - id: a\n    proxied: maybe\n",
    "mapped": "tasks:\n  - id: fan\n    proxied: true\n",
    "missing_task": "tasks:\n  - id: a\n    proxied: false\n  - id: gone\n    proxied: true\n",
    "custom": "tasks:\n  - id: a\n    proxied: true\n",
    "taskflow": "tasks:\n  - id: extract\n    proxied: true\n  - id: transform\n    proxied: true\n"
    "  - id: alone\n    proxied: true\n",
    "factory_ok": "tasks:\n  - id: b\n    proxied: true\n",
    "factory_broken": "tasks:\n  - id: a\n    proxied: yes please\n",
    "policy": "tasks:\n  - id: b\n    proxied: true\n",
    "policy_off": "tasks:\n  - id: a\n    proxied: false\n  - id: b\n    proxied: false\n",
    "policy_whole_off": "proxied: false\n",
}
#: DAG files without a proxying_to_dagster call: the cluster policy proxies them.
POLICY_DAGS = ("policy", "policy_off", "policy_whole_off")

SUMMARIZE = r"""
import importlib.util, json, sys, traceback
from pathlib import Path
from airflow_side._compat import AIRFLOW_3, DAG
from airflow_side.policy import dag_policy

def serialize(dag):
    if AIRFLOW_3:
        from airflow.serialization.serialized_objects import DagSerialization
        DagSerialization.to_dict(dag)
    else:
        from airflow.serialization.serialized_objects import SerializedDAG
        SerializedDAG.to_dict(dag)

def describe(dag):
    tasks = {}
    for task_id, t in dag.task_dict.items():
        group = t.task_group
        tasks[task_id] = {
            "operator": type(t).__name__,
            "upstream": sorted(t.upstream_task_ids),
            "downstream": sorted(t.downstream_task_ids),
            "group": group.group_id if group is not None else None,
            "retries": t.retries,
            "pool": t.pool,
            "queue": t.queue,
            "owner": t.owner,
            "retry_delay": t.retry_delay.total_seconds(),
            "execution_timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
            "trigger_rule": str(getattr(t.trigger_rule, "value", t.trigger_rule)),
            "multiple_outputs": bool(getattr(t, "multiple_outputs", False)),
            "outlets": [getattr(o, "uri", str(o)) for o in t.outlets or []],
            "doc_md": getattr(t, "doc_md", None),
            "xcom_consumers": getattr(t, "airlift_xcom_consumers", None),
            "failure_callbacks": len(t.on_failure_callback if isinstance(t.on_failure_callback, list) else [t.on_failure_callback] if t.on_failure_callback else []),
        }
    serialize(dag)
    return {"tasks": tasks, "tags": sorted(dag.tags or []),
            "groups": sorted(k for k, v in dag.task_group.children.items() if hasattr(v, "children"))}

out = {}
for path in sorted(Path(sys.argv[1]).glob("*.py")):
    try:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        dags = {id(v): v for v in vars(module).values() if isinstance(v, DAG)}.values()
        for dag in dags:
            if path.stem.startswith("policy"):
                dag_policy(dag)
                dag_policy(dag)  # applying twice changes nothing
            try:
                dag.validate()  # as Airflow's DagBag does, DAG by DAG
                out[dag.dag_id] = describe(dag)
            except Exception as exc:
                out[dag.dag_id] = {"error": f"{type(exc).__name__}: {exc}"}
    except Exception as exc:
        out[path.stem] = {"error": f"{type(exc).__name__}: {exc}"}
print("JSON:" + json.dumps(out))
"""


def build_folder(root: Path) -> Path:
    dags = root / "dags"
    (dags / "proxied_state").mkdir(parents=True)
    for name, body in DAG_FILES.items():
        (dags / f"{name}.py").write_text(HEADER + textwrap.dedent(body))
    for dag_id in POLICY_DAGS:
        (dags / f"{dag_id}.py").write_text(POLICY_FILE.replace("{dag_id}", dag_id))
    for name, text in STATES.items():
        (dags / "proxied_state" / f"{name}.yaml").write_text(text)
    return dags


@pytest.fixture(scope="module", params=sorted(INTERPRETERS), ids=sorted(INTERPRETERS))
def report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    dags = build_folder(tmp_path_factory.mktemp(request.param))
    env = {**os.environ, "AIRFLOW_HOME": str(dags.parent / "home"), "PYTHONPATH": str(ROOT)}
    env.pop("AIRLIFT_PROXIED_STATE_DIR", None)
    done = subprocess.run(
        [str(INTERPRETERS[request.param]), "-c", SUMMARIZE, str(dags)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("JSON:")]
    assert lines, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(lines[-1][5:])
    result["__state_dir__"] = str(dags / "proxied_state")
    return result


def test_proxied_task_is_replaced_keeping_its_settings(report: dict[str, Any]) -> None:
    task = report["task_level"]["tasks"]["grp.load"]
    assert task["operator"] == "DefaultProxyTaskToDagsterOperator"
    assert task["group"] == "grp"
    assert task["retries"] == 5
    assert (task["pool"], task["queue"], task["owner"]) == ("p1", "q1", "data")
    assert task["retry_delay"] == 7
    assert task["execution_timeout"] == 180
    assert task["trigger_rule"] == "all_done"
    assert task["failure_callbacks"] == 1


def test_proxied_task_keeps_its_edges(report: dict[str, Any]) -> None:
    tasks = report["task_level"]["tasks"]
    assert tasks["grp.load"]["upstream"] == ["extract"]
    assert tasks["grp.load"]["downstream"] == ["grp.after"]
    assert tasks["extract"]["downstream"] == ["grp.load"]
    assert tasks["grp.after"]["upstream"] == ["grp.load"]
    assert tasks["final"]["upstream"] == ["grp.after"]


def test_unlisted_and_unproxied_tasks_stay(report: dict[str, Any]) -> None:
    tasks = report["task_level"]["tasks"]
    assert {tasks[t]["operator"] for t in ("extract", "grp.after", "final")} == {"EmptyOperator"}
    assert tasks["extract"]["retries"] == 2


def test_task_level_tag_counts_proxied_tasks(report: dict[str, Any]) -> None:
    assert report["task_level"]["tags"] == [
        "1 Task Marked as Proxied to Dagster",
        "airlift:proxied_tasks=1",
    ]


def test_dag_level_replaces_every_task_with_one(report: dict[str, Any]) -> None:
    whole = report["whole"]
    assert list(whole["tasks"]) == ["DAGSTER_OVERRIDE_DAG_whole"]
    operator = whole["tasks"]["DAGSTER_OVERRIDE_DAG_whole"]["operator"]
    assert operator == "DefaultProxyDAGToDagsterOperator"
    assert whole["tags"] == ["Dag overriden to Dagster", "airlift:proxied", "team"]
    assert whole["groups"] == []


def test_dag_level_proxy_carries_every_outlet_of_the_dag_once(report: dict[str, Any]) -> None:
    """Airflow records the asset events of the one task, so DAGs scheduled on them run."""
    [proxy] = report["whole"]["tasks"].values()
    assert proxy["outlets"] == ["s3://lake/a", "s3://lake/b"]


def test_dag_level_off_leaves_the_dag_and_says_so(report: dict[str, Any]) -> None:
    off = report["whole_off"]
    assert {t["operator"] for t in off["tasks"].values()} == {"EmptyOperator"}
    assert off["tasks"]["b"]["upstream"] == ["a"]
    assert off["tags"] == ["airlift:proxied_tasks=0"]


def test_dag_without_file_is_untouched(report: dict[str, Any]) -> None:
    assert report["no_file"]["tags"] == []


def test_broken_file_fails_only_its_dag_with_file_and_line(report: dict[str, Any]) -> None:
    error = report["broken"]["error"]
    assert error.startswith("ProxiedStateParsingError: ")
    assert f"{report['__state_dir__']}/broken.yaml:3:" in error
    assert "task_level" in report and "error" not in report["task_level"]


def test_mapped_task_is_refused_by_name(report: dict[str, Any]) -> None:
    error = report["mapped"]["error"]
    assert "mapped.yaml:2:" in error
    assert "task 'fan' of DAG 'mapped' is a mapped (dynamic) task" in error


def test_proxied_task_missing_from_dag_is_an_error(report: dict[str, Any]) -> None:
    assert "missing_task.yaml:4:" in report["missing_task"]["error"]
    assert "'gone'" in report["missing_task"]["error"]


def test_factory_file_loses_only_the_dag_whose_file_is_broken(report: dict[str, Any]) -> None:
    error = report["factory_broken"]["error"]
    assert error.startswith("ProxiedStateParsingError: ")
    assert f"{report['__state_dir__']}/factory_broken.yaml:3:" in error
    assert report["factory_ok"]["tags"] == [
        "1 Task Marked as Proxied to Dagster",
        "airlift:proxied_tasks=1",
    ]
    assert report["factory_ok"]["tasks"]["b"]["operator"] == "DefaultProxyTaskToDagsterOperator"
    assert report["factory_plain"]["tags"] == []
    assert "factory" not in report  # the module itself imported


def test_custom_operator_class(report: dict[str, Any]) -> None:
    assert report["custom"]["tasks"]["a"]["operator"] == "ApiKeyProxyTaskToDagsterOperator"


def test_cluster_policy_proxies_without_code(report: dict[str, Any]) -> None:
    policy = report["policy"]
    assert policy["tasks"]["b"]["operator"] == "DefaultProxyTaskToDagsterOperator"
    assert policy["tasks"]["b"]["upstream"] == ["a"]
    assert policy["tags"] == ["1 Task Marked as Proxied to Dagster", "airlift:proxied_tasks=1"]


def test_cluster_policy_leaves_dags_that_proxy_nothing_untagged(report: dict[str, Any]) -> None:
    """A state file proxying nothing (scaffold writes one per DAG) changes nothing visible."""
    for dag_id in ("policy_off", "policy_whole_off"):
        assert report[dag_id]["tags"] == [], dag_id
        assert {t["operator"] for t in report[dag_id]["tasks"].values()} == {"EmptyOperator"}


def test_proxied_taskflow_task_keeps_multiple_outputs(report: dict[str, Any]) -> None:
    tasks = report["taskflow"]["tasks"]
    assert tasks["transform"]["operator"] == "DefaultProxyTaskToDagsterOperator"
    assert tasks["transform"]["multiple_outputs"] is True
    assert tasks["transform"]["upstream"] == ["extract"]
    assert tasks["transform"]["downstream"] == ["load"]


def test_readers_of_a_proxied_tasks_xcom_are_found_and_shown(report: dict[str, Any]) -> None:
    """load reads a multiple_outputs key (TaskFlow), templated pulls in a template; the
    proxied transform reads nothing any more, so extract has no reader."""
    tasks = report["taskflow"]["tasks"]
    assert tasks["transform"]["xcom_consumers"] == {
        "load": ["total_order_value"],
        "templated": ["?"],
    }
    assert tasks["extract"]["xcom_consumers"] == {}
    assert tasks["alone"]["xcom_consumers"] == {}
    doc = tasks["transform"]["doc_md"]
    assert "its XCom is read by load (total_order_value), templated (?)" in doc
    assert "'airlift/xcom_return_value'" in doc
    assert tasks["alone"]["doc_md"] is None
