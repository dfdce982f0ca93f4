"""Each translator on its operator, and every refusal with its reason and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from airlift_component.generate.dag_finder import find_dags
from airlift_component.generate.names import module_names
from airlift_component.generate.refusals import Refusal
from airlift_component.generate.source import parse_dag_source
from airlift_component.generate.translation import TaskInput, Translation
from airlift_component.generate.translators import translate_task

HEAD = """\
import json
from airflow.sdk import DAG, dag, task, get_current_context
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from mylib.ops import MyOp
"""


def translate(body: str, task_id: str = "t", dag_id: str = "d") -> Translation:
    text = HEAD + textwrap.dedent(body)
    source = parse_dag_source(text, Path("dag.py"))
    found = find_dags(source)[dag_id]
    return translate_task(TaskInput(source, module_names(source.tree), found, found.tasks[task_id]))


def test_bash_keeps_command_env_cwd_and_exit_codes() -> None:
    out = translate(
        """
        with DAG("d"):
            BashOperator(
                task_id="t",
                bash_command="echo {{ ds }} $X",
                env={"X": "{{ ds_nodash }}"},
                append_env=True,
                cwd="/tmp",
                skip_on_exit_code=[3, 4],
                retries=2,
            )
        """
    )
    assert out.kind == "bash" and out.hands_back
    assert "BASH_COMMAND = 'echo {{ ds }} $X'" in out.prelude
    assert "ENV: dict[str, str] | None = {'X': '{{ ds_nodash }}'}" in out.prelude
    assert "APPEND_ENV = True" in out.prelude
    assert "CWD: str | None = '/tmp'" in out.prelude
    assert "SKIP_ON_EXIT_CODE = [3, 4]" in out.prelude
    assert any("PipesSubprocessClient" in line for line in out.body)


def test_bash_without_xcom_push_hands_nothing_back() -> None:
    out = translate(
        """
        with DAG("d"):
            BashOperator(task_id="t", bash_command="true", do_xcom_push=False, skip_on_exit_code=None)
        """
    )
    assert not out.hands_back
    assert "SKIP_ON_EXIT_CODE = []" in out.prelude


def test_empty_operator_only_records() -> None:
    out = translate('with DAG("d"):\n    EmptyOperator(task_id="t")\n')
    assert out.kind == "empty" and not out.hands_back and out.prelude == []


def test_python_operator_transplants_the_callable_and_its_names() -> None:
    out = translate(
        """
        FACTOR = 3

        def helper(x):
            return json.dumps(x * FACTOR)

        def work(a, ds, b=1, **kwargs):
            return helper(a + b), ds, kwargs["params"]

        with DAG("d"):
            PythonOperator(task_id="t", python_callable=work, op_args=[1], op_kwargs={"b": "{{ ds }}"})
        """
    )
    assert "import json" in out.imports
    code = "\n".join(out.prelude)
    assert code.index("FACTOR = 3") < code.index("def helper") < code.index("def work")
    assert out.body[-1] == (
        "value = work(*run.render_nested(OP_ARGS), **run.render_nested(OP_KWARGS), "
        "ds=airflow_context['ds'], params=airflow_context['params'])"
    )


def test_python_operator_imports_a_callable_that_lives_elsewhere() -> None:
    out = translate(
        """
        from mylib.jobs import crunch

        with DAG("d"):
            PythonOperator(task_id="t", python_callable=crunch)
        """
    )
    assert "from mylib.jobs import crunch" in out.imports
    assert out.body[-1] == "value = crunch(*OP_ARGS, **OP_KWARGS)"


def test_taskflow_reads_upstream_xcoms_and_strips_the_decorator() -> None:
    out = translate(
        """
        @dag()
        def d():
            @task
            def up():
                return {"a": 1}

            @task(multiple_outputs=True)
            def t(data, n):
                return {"total": sum(data.values()) * n}

            t(up(), 2)

        d()
        """
    )
    code = "\n".join(out.prelude)
    assert code.startswith("def t(data, n):") and "@task" not in code
    assert out.body[-1] == "value = t(run.xcom('up'), 2)"


@pytest.mark.parametrize(
    "mapped", ["add_one.expand(x=[1, 2, 3])", "add_one.partial(y=1).expand(x=[1, 2])"]
)
def test_a_task_reading_a_mapped_tasks_output_is_refused(mapped: str) -> None:
    """The output of a mapped task is one XCom per map index (Airflow hands the
    downstream task the list): reading its ``return_value`` alone finds none, so the
    task that reads it is refused with a reason, not generated to fail when run
    (``example_dynamic_task_mapping.sum_it``, found by the coverage loop)."""
    body = f"""
        @dag()
        def d():
            @task
            def add_one(x, y=1):
                return x + y

            @task
            def t(values):
                return sum(values)

            added = {mapped}
            t(added)

        d()
        """
    with pytest.raises(Refusal) as caught:
        translate(body)
    assert caught.value.reason.startswith("dynamic task mapping: reads mapped task 'add_one'")
    assert caught.value.kind == "dynamic task mapping"
    assert caught.value.line == 19


@pytest.mark.parametrize(
    ("body", "reason", "line"),
    [
        ('with DAG("d"):\n    MyOp(task_id="t")\n', "custom operator MyOp", 8),
        (
            "from airflow.providers.http.operators.http import HttpOperator\n"
            'with DAG("d"):\n    HttpOperator(task_id="t")\n',
            "operator HttpOperator not supported",
            9,
        ),
        (
            'with DAG("d"):\n    BashOperator(task_id="t", bash_command="echo {{ macros.uuid }}")\n',
            "template uses macros.uuid not supported",
            8,
        ),
        (
            'with DAG("d"):\n    BashOperator(task_id="t", bash_command="echo {{ conn.x.host }}")\n',
            "template uses conn not supported",
            8,
        ),
        (
            'with DAG("d"):\n    BashOperator(task_id="t", bash_command="run.sh")\n',
            "bash_command names a script file",
            8,
        ),
        (
            'with DAG("d"):\n    BashOperator(task_id="t", bash_command=make())\n',
            "argument bash_command= is not a literal",
            8,
        ),
        (
            'with DAG("d"):\n    BashOperator(task_id="t", bash_command="x", weird=1)\n',
            "argument weird= not supported",
            8,
        ),
        (
            "def f(ti):\n    ti.xcom_push(key='k', value=1)\n"
            'with DAG("d"):\n    PythonOperator(task_id="t", python_callable=f)\n',
            "uses ti.xcom_push",
            8,
        ),
        (
            "def f(**context):\n    print(context)\n"
            'with DAG("d"):\n    PythonOperator(task_id="t", python_callable=f)\n',
            "passes the whole Airflow context on (context)",
            8,
        ),
        (
            "def f(dag_run):\n    return dag_run.conf\n"
            'with DAG("d"):\n    PythonOperator(task_id="t", python_callable=f)\n',
            "reads context key dag_run",
            7,
        ),
        (
            "def f():\n    return get_current_context()\n"
            'with DAG("d"):\n    PythonOperator(task_id="t", python_callable=f)\n',
            "uses Airflow API airflow.sdk.get_current_context",
            8,
        ),
        (
            '@dag()\ndef d():\n    @task.bash\n    def t():\n        return "echo"\n    t()\nd()\n',
            "@task.bash not supported",
            12,
        ),
    ],
    ids=[
        "custom-operator",
        "other-airflow-operator",
        "macro",
        "connection",
        "script-file",
        "computed-command",
        "unknown-argument",
        "xcom-push",
        "whole-context",
        "context-key",
        "airflow-api",
        "task-bash",
    ],
)
def test_refusals_name_reason_and_line(body: str, reason: str, line: int) -> None:
    with pytest.raises(Refusal) as caught:
        translate(body)
    assert caught.value.reason.startswith(reason), caught.value.reason
    assert caught.value.line == line


def test_a_template_nested_too_deeply_is_refused_with_its_line() -> None:
    deep = "{{ " + "(" * 2000 + "ds" + ")" * 2000 + " }}"
    with pytest.raises(Refusal) as caught:
        translate(
            f"""
            with DAG("d"):
                BashOperator(task_id="t", bash_command={deep!r})
            """
        )
    assert caught.value.reason.startswith("code nested too deeply to translate")
    assert caught.value.line == 9


def test_variables_are_translated_and_other_var_attributes_refused() -> None:
    out = translate(
        """
        with DAG("d"):
            BashOperator(task_id="t", bash_command="echo {{ var.value.bucket }} {{ var.json.c.k }}")
            BashOperator(task_id="u", bash_command="echo {{ var.keys }}")
        """
    )
    assert out.kind == "bash"
    with pytest.raises(Refusal, match=r"template uses var\.keys not supported"):
        translate(
            """
            with DAG("d"):
                BashOperator(task_id="u", bash_command="echo {{ var.keys }}")
            """,
            task_id="u",
        )
