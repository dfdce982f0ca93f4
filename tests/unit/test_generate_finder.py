"""Finding DAGs and tasks by syntax: classic, dag=, TaskFlow, groups, loops, ids."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from airlift_component.generate.dag_finder import XComRef, find_dags
from airlift_component.generate.refusals import GenerateError
from airlift_component.generate.source import parse_dag_source


def dags_of(text: str) -> dict:
    return find_dags(parse_dag_source(textwrap.dedent(text), Path("dag.py")))


CLASSIC = """
    from airflow.sdk import DAG, TaskGroup
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG("classic", params={"n": Param(3, type="integer"), "s": "x"}) as dag:
        start = EmptyOperator(task_id="start")
        for i in range(2):
            BashOperator(task_id=f"run_{i}", bash_command="echo {{ ds }}")
        with TaskGroup("grp"):
            EmptyOperator(task_id="inner")

    late = BashOperator(task_id="late", bash_command="exit 0", dag=dag)
"""


def test_classic_tasks_groups_loops_and_dag_keyword() -> None:
    dag = dags_of(CLASSIC)["classic"]
    assert sorted(dag.tasks) == ["grp.inner", "late", "run_0", "run_1", "start"]
    assert dag.tasks["run_1"].env == {"i": 1}
    assert dag.tasks["start"].operator == "airflow.providers.standard.operators.empty.EmptyOperator"
    assert dag.params == {"n": 3, "s": "x"}


TASKFLOW = """
    import json
    from airflow.sdk import dag, task

    @dag(schedule=None)
    def flow():
        @task()
        def extract():
            return json.loads('{"a": 1}')

        @task(multiple_outputs=True)
        def transform(data: dict):
            return {"total": sum(data.values())}

        @task
        def load(total: float, label="x"):
            print(total, label)

        summary = transform(extract())
        load(summary["total"], label="y")
        load.override(task_id="again")(1.5)
        load(2.0)

    flow()
"""


def test_taskflow_ids_and_arguments() -> None:
    dag = dags_of(TASKFLOW)["flow"]
    assert sorted(dag.tasks) == ["again", "extract", "load", "load__1", "transform"]
    assert dag.tasks["transform"].args == [XComRef("extract")]
    assert dag.tasks["load"].args == [XComRef("transform", "total")]
    assert dag.tasks["load"].kwargs == {"label": "y"}
    assert dag.tasks["again"].args == [1.5]
    assert dag.tasks["transform"].operator == "@task"


def test_mapped_tasks_are_found_and_blocked() -> None:
    dag = dags_of(
        """
        from airflow.sdk import DAG, task
        from airflow.providers.standard.operators.bash import BashOperator

        with DAG("mapped"):
            @task
            def add(x):
                return x + 1
            add.expand(x=[1, 2])
            BashOperator.partial(task_id="b").expand(bash_command=["a", "b"])
        """
    )["mapped"]
    assert "dynamic task mapping" in dag.tasks["add"].blocked
    assert "dynamic task mapping" in dag.tasks["b"].blocked


def test_a_task_id_that_is_not_literal_is_listed_apart() -> None:
    dag = dags_of(
        """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("odd"):
            EmptyOperator(task_id=compute_id())
        """
    )["odd"]
    assert dag.tasks == {}
    assert dag.unnamed == [(6, "airflow.providers.standard.operators.empty.EmptyOperator")]


def test_a_taskflow_task_id_that_is_not_literal_is_not_the_function_name() -> None:
    """``@task(task_id=f"branch_{option}")`` over options only known at parse time
    (Airflow's example_branch_operator_decorator): Airflow names the task after the
    id, so the function's name would point the mapping at a task that does not
    exist; the task is listed apart, as a classic one is."""
    dag = dags_of(
        """
        from airflow.sdk import DAG, task

        with DAG("branches"):
            for option in load_options():
                @task(task_id=f"branch_{option}")
                def some_task():
                    return option
                some_task()

            @task
            def other():
                return 1
            other.override(task_id=compute_id())()
            other.override(task_id="named")()
        """
    )["branches"]
    assert sorted(dag.tasks) == ["named"]
    assert dag.unnamed == [(9, "@task"), (14, "@task")]


def test_a_syntax_error_names_file_and_line() -> None:
    with pytest.raises(GenerateError, match=r"dag.py:2:\d+: not valid Python"):
        parse_dag_source("x = 1\ndef (:\n", Path("dag.py"))


def test_literal_assignments_dedent_and_arithmetic_reach_the_arguments() -> None:
    dag = dags_of(
        '''
        import textwrap
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.bash import BashOperator

        GREETING = "hi"

        with DAG("lit"):
            command = textwrap.dedent("""
                echo {{ ds }}
            """)
            for i in range(2):
                BashOperator(task_id=f"t{i}", bash_command=command, env={"X": str(i)} if False else {"N": f"{i / 2}"})
            BashOperator(task_id="g", bash_command=GREETING)
        '''
    )["lit"]
    assert dag.tasks["t1"].env["command"] == "\necho {{ ds }}\n"
    assert dag.tasks["g"].env["GREETING"] == "hi"
    import ast

    from airlift_component.generate.literals import evaluate

    assert evaluate(ast.parse("i / 2 + 1.0", mode="eval").body, {"i": 1}) == 1.5


DEEP_HEAD = """\
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG
with DAG("deep", schedule=None):
    BashOperator(task_id="t", bash_command="echo")
"""


def _deeper_than_the_recursion_limit() -> str:
    # Read when the test runs, not at collection: a library imported by an earlier
    # test in the same worker may have raised the limit since.
    terms = " + ".join(['"a"'] * max(1200, sys.getrecursionlimit() + 200))
    return f'with DAG("d2", schedule=None):\n    BashOperator(task_id="t", bash_command={terms})\n'


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(lambda: "X = " + "1 + " * 100_000 + "1\n", id="too-deep-for-ast"),
        pytest.param(_deeper_than_the_recursion_limit, id="too-deep-to-walk"),
    ],
)
def test_a_deeply_nested_file_is_one_error_naming_it(
    tail: Callable[[], str], tmp_path: Path
) -> None:
    from airlift_component.generate.source import read_dag_source

    path = tmp_path / "deep.py"
    path.write_text(DEEP_HEAD + tail())
    with pytest.raises(GenerateError, match=r"deep\.py: nested too deeply to read") as caught:
        find_dags(read_dag_source(path))
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
