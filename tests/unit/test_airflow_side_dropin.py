"""dagster-airlift's Airflow-side tests, written our way, against ``airflow_side``.

The shape follows dagster-airlift's own ``in_airflow`` tests: build DAGs from a
structure, construct ``AirflowProxiedState`` from dicts, call
``proxying_to_dagster`` and assert operator classes, edges and tags. It also
covers builders that return an operator without ``dag=`` (dagster-airlift's
documented ``MyOperator(task_id=task.task_id)``).

The test functions use no pytest feature, so the module runs as it is under
pytest with Airflow 3 (this venv) and as a script under Airflow 2.10
(``.venv-airflow2``, which has no pytest): see :func:`test_under_airflow2`.
"""

from __future__ import annotations

import contextlib
import copy
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

try:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG, Asset, TaskGroup

    AIRFLOW = 3
except ImportError:  # Airflow 2
    from airflow.datasets import Dataset as Asset  # type: ignore[no-redef,unused-ignore]
    from airflow.models import DAG  # type: ignore[assignment,unused-ignore]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef,unused-ignore]
    from airflow.utils.task_group import TaskGroup  # type: ignore[assignment,unused-ignore]

    AIRFLOW = 2

from airflow_side import (
    AirflowProxiedState,
    BaseDagsterAssetsOperator,
    BaseProxyDAGToDagsterOperator,
    BaseProxyTaskToDagsterOperator,
    DagProxiedState,
    DefaultProxyTaskToDagsterOperator,
    NoDagsFoundError,
    ProxiedStateParsingError,
    TaskProxiedState,
    build_dagster_task,
    load_proxied_state_from_yaml,
    proxying_to_dagster,
)
from airlift_component.errors import ConfigError
from tests.unit.child_python import AIRFLOW2_PYTHON, ROOT


@contextlib.contextmanager
def raises(kind: type[BaseException], *fragments: str) -> Iterator[None]:
    """Like ``pytest.raises`` with ``match`` on literal fragments (no pytest needed)."""
    try:
        yield
    except kind as exc:
        for fragment in fragments:
            assert fragment in str(exc), f"{fragment!r} not in {exc}"
        return
    raise AssertionError(f"{kind.__name__} not raised")


def noop() -> None:
    pass


def dags_from_structure(structure: dict[str, dict[str, list[str]]]) -> dict[str, Any]:
    """``{dag_id: {task_id: [upstream task ids]}}`` → ``{dag_id: DAG}`` of PythonOperators."""
    built: dict[str, Any] = {}
    for dag_id, tasks in structure.items():
        dag = DAG(
            dag_id,
            start_date=datetime(2024, 1, 1),
            schedule=None,
            default_args={"owner": "airflow", "retries": 1},
        )
        ops = {t: PythonOperator(task_id=t, python_callable=noop, dag=dag) for t in tasks}
        for task_id, upstream in tasks.items():
            for other in upstream:
                ops[task_id].set_upstream(ops[other])
        built[dag_id] = dag
    return built


def serializable(dag: Any) -> None:
    """The DAG passes the checks Airflow runs when it loads a DAG file."""
    dag.validate()
    dag.check_cycle() if AIRFLOW == 3 else None
    if AIRFLOW == 3:
        from airflow.serialization.serialized_objects import DagSerialization

        DagSerialization.to_dict(dag)
    else:
        from airflow.serialization.serialized_objects import SerializedDAG

        SerializedDAG.to_dict(dag)


# -- dagster-airlift's own cases -------------------------------------------------------


def test_proxying_to_dagster() -> None:
    fake_globals = dags_from_structure(
        {
            "task_is_proxied": {"task": []},
            "initially_not_proxied": {"task": []},
            "should_be_ignored": {"task": []},
        }
    )
    untouched = copy.deepcopy(fake_globals)
    proxying_to_dagster(
        global_vars=fake_globals,
        proxied_state=AirflowProxiedState.from_dict(
            {
                "task_is_proxied": {"tasks": [{"id": "task", "proxied": True}]},
                "initially_not_proxied": {"tasks": [{"id": "task", "proxied": False}]},
            }
        ),
    )
    # Ours, and dagster-airlift's words beside them (users' UI filters use those).
    assert set(fake_globals["task_is_proxied"].tags) == {
        "airlift:proxied_tasks=1",
        "1 Task Marked as Proxied to Dagster",
    }
    assert set(fake_globals["initially_not_proxied"].tags) == {
        "airlift:proxied_tasks=0",
        "0 Tasks Marked as Proxied to Dagster",
    }
    assert not fake_globals["should_be_ignored"].tags
    proxied = fake_globals["task_is_proxied"].task_dict["task"]
    assert isinstance(proxied, BaseDagsterAssetsOperator)
    assert isinstance(proxied, DefaultProxyTaskToDagsterOperator)
    assert isinstance(fake_globals["initially_not_proxied"].task_dict["task"], PythonOperator)
    assert isinstance(fake_globals["should_be_ignored"].task_dict["task"], PythonOperator)

    proxying_to_dagster(
        global_vars=untouched,
        proxied_state=AirflowProxiedState.from_dict(
            {
                "task_is_proxied": {"tasks": [{"id": "task", "proxied": True}]},
                "initially_not_proxied": {"tasks": [{"id": "task", "proxied": True}]},
            }
        ),
    )
    for dag_id in ("task_is_proxied", "initially_not_proxied"):
        assert set(untouched[dag_id].tags) == {
            "airlift:proxied_tasks=1",
            "1 Task Marked as Proxied to Dagster",
        }
        assert isinstance(untouched[dag_id].task_dict["task"], BaseDagsterAssetsOperator)
    assert isinstance(untouched["should_be_ignored"].task_dict["task"], PythonOperator)


def test_proxying_to_dagster_no_dags() -> None:
    with raises(NoDagsFoundError, "No dags found in globals dictionary", "globals()"):
        proxying_to_dagster(global_vars={}, proxied_state=AirflowProxiedState.from_dict({}))
    with raises(ValueError):  # dagster-airlift users catching a plain exception still do
        proxying_to_dagster(global_vars={"x": 1}, proxied_state=AirflowProxiedState.from_dict({}))


def test_proxying_to_dagster_dags_dont_exist() -> None:
    fake_globals = dags_from_structure({"dag": {"task": []}})
    proxying_to_dagster(
        global_vars=fake_globals,
        proxied_state=AirflowProxiedState.from_dict(
            {"doesnt_exist": {"tasks": [{"id": "task", "proxied": True}]}}
        ),
    )
    assert not fake_globals["dag"].tags


def test_proxying_to_dagster_task_doesnt_exist() -> None:
    fake_globals = dags_from_structure({"dag": {"task": []}})
    with raises(
        ProxiedStateParsingError,
        "Task with id `doesnt_exist` not found in dag `dag`",
        "'doesnt_exist'",
        "DAG 'dag' has no such task",
    ):
        proxying_to_dagster(
            global_vars=fake_globals,
            proxied_state=AirflowProxiedState.from_dict(
                {"dag": {"tasks": [{"id": "doesnt_exist", "proxied": True}]}}
            ),
        )


def test_dag_level_proxying_replaces_every_task_with_the_override_task() -> None:
    fake_globals = dags_from_structure({"whole": {"a": [], "b": ["a"]}})
    proxying_to_dagster(
        global_vars=fake_globals,
        proxied_state=AirflowProxiedState.from_dict({"whole": {"proxied": True}}),
    )
    dag = fake_globals["whole"]
    assert list(dag.task_dict) == ["DAGSTER_OVERRIDE_DAG_whole"]
    assert isinstance(dag.task_dict["DAGSTER_OVERRIDE_DAG_whole"], BaseProxyDAGToDagsterOperator)
    assert set(dag.tags) == {"airlift:proxied", "Dag overriden to Dagster"}
    serializable(dag)


class DaglessProxyDAGToDagsterOperator(BaseProxyDAGToDagsterOperator):
    """A whole-DAG builder in dagster-airlift's style, returning the task without dag=."""

    def get_dagster_url(self, context: Any) -> str:
        return "http://dagster.test:3000"

    def get_dagster_session(self, context: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def build_from_dag(cls, dag: Any) -> DaglessProxyDAGToDagsterOperator:
        return cls(task_id=f"DAGSTER_OVERRIDE_DAG_{dag.dag_id}")


def test_dag_level_builder_without_dag_is_attached() -> None:
    fake_globals = dags_from_structure({"whole2": {"a": [], "b": ["a"]}})
    proxying_to_dagster(
        global_vars=fake_globals,
        proxied_state=AirflowProxiedState.from_dict({"whole2": {"proxied": True}}),
        build_from_dag_fn=DaglessProxyDAGToDagsterOperator.build_from_dag,
    )
    dag = fake_globals["whole2"]
    [task] = dag.task_dict.values()
    assert type(task) is DaglessProxyDAGToDagsterOperator
    assert task.dag is dag
    assert list(dag.task_group.children) == ["DAGSTER_OVERRIDE_DAG_whole2"]
    serializable(dag)


# -- the proxied-state types ---------------------------------------------------------


def test_proxied_state_types_have_dagster_airlifts_shape() -> None:
    state = AirflowProxiedState.from_dict(
        {"a": {"tasks": [{"id": "t1", "proxied": True}, {"id": "t2", "proxied": False}]}}
    )
    assert set(state.dags) == {"a"}
    dag_state = state.dags["a"]
    assert isinstance(dag_state, DagProxiedState)
    assert dag_state.proxied is None and dag_state.dag_proxies_at_task_level
    assert dag_state.tasks["t1"] == TaskProxiedState(task_id="t1", proxied=True)
    assert dag_state.tasks["t1"].task_id == "t1"
    assert state.get_task_proxied_state(dag_id="a", task_id="t2") is False
    assert state.get_task_proxied_state(dag_id="a", task_id="nope") is None
    assert state.dag_has_proxied_state("a") and not state.dag_has_proxied_state("b")
    assert DagProxiedState.from_dict({"proxied": True}).dag_proxies_at_dag_level
    assert TaskProxiedState.from_dict({"id": "x", "proxied": False}).to_dict() == {
        "id": "x",
        "proxied": False,
    }
    direct = AirflowProxiedState(dags={"a": dag_state})
    assert direct.dags["a"] == dag_state


def test_malformed_dicts_raise_the_parsing_error() -> None:
    for bad in (
        {"tasks": [{"id": "t", "proxied": "yes"}]},
        {"tasks": [{"id": "t"}]},
        {"tasks": [], "proxied": True},
        {},
    ):
        with raises(ProxiedStateParsingError, "proxied state of DAG 'd'"):
            AirflowProxiedState.from_dict({"d": bad})
    assert issubclass(ProxiedStateParsingError, ConfigError)


# -- what dagster-airlift's users compare and match -----------------------------------


def _folder(files: dict[str, str]) -> tempfile.TemporaryDirectory[str]:
    folder = tempfile.TemporaryDirectory()
    for name, text in files.items():
        (Path(folder.name) / name).write_text(text)
    return folder


def test_a_loaded_folder_equals_the_same_state_built_from_dags() -> None:
    files = {
        "first.yaml": "tasks:\n  - id: first_task\n    proxied: true\n"
        "  - id: second_task\n    proxied: false\n",
        "second.yml": "proxied: false\n",
        "notes.txt": "not a state file",
    }
    built = AirflowProxiedState(
        dags={
            "first": DagProxiedState(
                tasks={
                    "first_task": TaskProxiedState(task_id="first_task", proxied=True),
                    "second_task": TaskProxiedState("second_task", proxied=False),
                }
            ),
            "second": DagProxiedState(proxied=False, tasks={}),
        }
    )
    with _folder(files) as folder:
        loaded = load_proxied_state_from_yaml(Path(folder))
        assert loaded == built and built == loaded
        assert repr(loaded) == repr(built)
        assert "first_task" in repr(loaded) and "TaskProxiedState(" in repr(loaded)
        assert loaded == load_proxied_state_from_yaml(folder)
        assert loaded != AirflowProxiedState(dags={"first": built.dags["first"]})
        assert loaded != AirflowProxiedState.from_dict({"first": {"proxied": True}})
        assert loaded != object() and loaded != built.dags
    assert DagProxiedState(tasks={}) == DagProxiedState(None, {})


def test_a_broken_folder_still_has_a_repr_and_compares_unequal() -> None:
    with _folder({"bad.yaml": "proxied: maybe\n"}) as folder:
        loaded = load_proxied_state_from_yaml(Path(folder))
        assert "AirflowProxiedState(" in repr(loaded) and folder in repr(loaded)
        assert loaded != AirflowProxiedState(dags={})


def test_dagster_airlifts_error_phrases_lead_our_messages() -> None:
    with raises(ProxiedStateParsingError, "Error parsing proxied state yaml", "not found"):
        load_proxied_state_from_yaml(Path("/nonexistent/proxied_state"))
    with _folder({"bad.yaml": "proxied: maybe\n", "empty.yaml": ""}) as folder:
        loaded = load_proxied_state_from_yaml(Path(folder))
        for dag_id in ("bad", "empty"):
            with raises(ProxiedStateParsingError, "Error parsing proxied state yaml", ".yaml:1:"):
                loaded.get(dag_id)
        with raises(
            ProxiedStateParsingError,
            "Error parsing proxied state yaml",
            "Expected 'proxied' key to be a boolean or None",
            "bad.yaml:1:",
        ):
            loaded.get("bad")
        with raises(ProxiedStateParsingError, "Error parsing proxied state yaml"):
            loaded.dags  # noqa: B018 (reading the property is the test)
    with raises(ProxiedStateParsingError, "Expected 'proxied' key to be a boolean or None"):
        AirflowProxiedState.from_dict({"d": {"proxied": "yes"}})
    with raises(ProxiedStateParsingError, "Expected 'proxied' key to be a boolean or None"):
        DagProxiedState.from_dict({"proxied": 3})
    with raises(ProxiedStateParsingError, "Expected 'proxied' key to be a boolean"):
        TaskProxiedState.from_dict({"id": "t", "proxied": "yes"})


# -- builders returning an operator without dag= -------------------------------------


class DaglessProxyTaskToDagsterOperator(BaseProxyTaskToDagsterOperator):
    """dagster-airlift's documented builder: ``cls(task_id=task.task_id)``, no DAG."""

    def get_dagster_url(self, context: Any) -> str:
        return "http://dagster.test:3000"

    def get_dagster_session(self, context: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def build_from_task(cls, task: Any) -> DaglessProxyTaskToDagsterOperator:
        return cls(task_id=task.task_id)


def proxy(dag: Any, tasks: list[str], builder: Any = None) -> None:
    state = {dag.dag_id: {"tasks": [{"id": t, "proxied": True} for t in tasks]}}
    proxying_to_dagster(
        global_vars={"dag": dag},
        proxied_state=AirflowProxiedState.from_dict(state),
        build_from_task_fn=builder or DaglessProxyTaskToDagsterOperator.build_from_task,
    )


def edges(dag: Any, task_id: str) -> tuple[list[str], list[str]]:
    task = dag.task_dict[task_id]
    return sorted(task.upstream_task_ids), sorted(task.downstream_task_ids)


def test_dagless_builder_one_task_takes_its_place() -> None:
    with DAG("one", start_date=datetime(2024, 1, 1), schedule=None) as dag:
        a = PythonOperator(task_id="a", python_callable=noop)
        b = PythonOperator(
            task_id="b", python_callable=noop, pool="p1", outlets=[Asset("s3://bucket/b")]
        )
        c = PythonOperator(task_id="c", python_callable=noop)
        a >> b >> c
    proxy(dag, ["b"])
    new = dag.task_dict["b"]
    assert type(new) is DaglessProxyTaskToDagsterOperator
    assert new.dag is dag
    assert edges(dag, "b") == (["a"], ["c"])
    assert edges(dag, "a") == ([], ["b"]) and edges(dag, "c") == (["b"], [])
    assert new.pool == "p1"
    assert [o.uri for o in new.outlets] == ["s3://bucket/b"]
    assert dag.task_group.children["b"] is new
    serializable(dag)


def test_dagless_builder_two_linked_tasks() -> None:
    with DAG("two", start_date=datetime(2024, 1, 1), schedule=None) as dag:
        a = PythonOperator(task_id="a", python_callable=noop)
        b = PythonOperator(task_id="b", python_callable=noop)
        c = PythonOperator(task_id="c", python_callable=noop)
        d = PythonOperator(task_id="d", python_callable=noop)
        a >> b >> c >> d
    proxy(dag, ["b", "c"])
    assert {type(dag.task_dict[t]).__name__ for t in "bc"} == {"DaglessProxyTaskToDagsterOperator"}
    assert edges(dag, "b") == (["a"], ["c"])
    assert edges(dag, "c") == (["b"], ["d"])
    assert edges(dag, "d") == (["c"], [])
    assert sorted(dag.task_dict) == ["a", "b", "c", "d"]
    serializable(dag)


def test_dagless_builder_task_in_a_task_group() -> None:
    with DAG("grouped", start_date=datetime(2024, 1, 1), schedule=None) as dag:
        first = PythonOperator(task_id="first", python_callable=noop)
        with TaskGroup("grp") as grp:
            load = PythonOperator(task_id="load", python_callable=noop)
            after = PythonOperator(task_id="after", python_callable=noop)
            load >> after
        last = PythonOperator(task_id="last", python_callable=noop)
        first >> grp >> last
    proxy(dag, ["grp.load"])
    new = dag.task_dict["grp.load"]
    assert type(new) is DaglessProxyTaskToDagsterOperator
    assert new.task_group.group_id == "grp"
    assert dag.task_group.children["grp"].children["grp.load"] is new
    assert "grp.load" not in dag.task_group.children
    assert edges(dag, "grp.load") == (["first"], ["grp.after"])
    assert edges(dag, "first") == ([], ["grp.load"])
    serializable(dag)


def test_builder_with_dag_but_no_task_group_lands_in_the_group() -> None:
    with DAG("grouped2", start_date=datetime(2024, 1, 1), schedule=None) as dag, TaskGroup("grp"):
        PythonOperator(task_id="load", python_callable=noop)

    def with_dag_only(task: Any) -> Any:
        return DaglessProxyTaskToDagsterOperator(task_id=task.task_id, dag=task.dag)

    proxy(dag, ["grp.load"], builder=with_dag_only)
    assert dag.task_dict["grp.load"].task_group.group_id == "grp"
    assert "grp.load" not in dag.task_group.children
    serializable(dag)


def test_dagless_builder_next_to_a_mapped_task() -> None:
    with DAG("mapped_neighbour", start_date=datetime(2024, 1, 1), schedule=None) as dag:
        fan = PythonOperator.partial(task_id="fan", python_callable=noop).expand(op_args=[[1], [2]])
        load = PythonOperator(task_id="load", python_callable=noop)
        fan_in = PythonOperator.partial(task_id="fan_in", python_callable=noop).expand(
            op_args=[[1], [2]]
        )
        fan >> load >> fan_in
    proxy(dag, ["load"])
    assert type(dag.task_dict["load"]) is DaglessProxyTaskToDagsterOperator
    assert edges(dag, "load") == (["fan"], ["fan_in"])
    assert edges(dag, "fan") == ([], ["load"])
    assert edges(dag, "fan_in") == (["load"], [])
    serializable(dag)


def test_build_dagster_task_copies_the_task() -> None:
    with DAG("copied", start_date=datetime(2024, 1, 1), schedule=None) as dag, TaskGroup("grp"):
        task = PythonOperator(task_id="load", python_callable=noop, retries=4, pool="p2")
    dag.task_dict.pop("grp.load")
    dag.task_group.children["grp"].children.pop("grp.load")
    dag.task_group.used_group_ids.discard("grp.load")
    copy_of = build_dagster_task(task, DefaultProxyTaskToDagsterOperator)
    assert (copy_of.task_id, copy_of.retries, copy_of.pool) == ("grp.load", 4, "p2")
    assert copy_of.dag is dag


def test_builder_that_changes_the_task_id_is_refused() -> None:
    with DAG("renamed", start_date=datetime(2024, 1, 1), schedule=None) as dag:
        PythonOperator(task_id="load", python_callable=noop)

    def renamed(task: Any) -> Any:
        return DaglessProxyTaskToDagsterOperator(task_id="other")

    with raises(ValueError, "'load'", "'other'", "keep the task id"):
        proxy(dag, ["load"], builder=renamed)


# -- the same module on Airflow 2 ------------------------------------------------------


def test_under_airflow2(tmp_path: Path) -> None:
    """Every test above, run by Airflow 2.10's interpreter."""
    assert AIRFLOW2_PYTHON.exists(), "run scripts/setup: .venv-airflow2 is missing"
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [str(AIRFLOW2_PYTHON), __file__, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "airflow 2:" in done.stdout and " passed, 0 failed" in done.stdout, done.stdout


def _main() -> int:
    tests = [
        (name, fn)
        for name, fn in sorted(globals().items())
        if name.startswith("test_") and name != "test_under_airflow2" and callable(fn)
    ]
    failed = 0
    for name, fn in tests:
        try:
            fn()
        except Exception as exc:
            failed += 1
            print(f"FAILED {name}: {type(exc).__name__}: {exc}")
    print(f"airflow {AIRFLOW}: {len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main())
