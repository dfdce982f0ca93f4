"""Property: a generated Bash asset renders its command exactly as Airflow does.

For random logical dates, timezones, data intervals and run conf, the command
of the module `airlift generate` writes, rendered by the runtime, equals what
Airflow's own code renders for the same DAG file: its task context and its Jinja
environment (``BaseOperator.render_template``).

- Airflow 3 is installed in this environment: the DAG file is executed here, the
  context is ``RuntimeTaskInstance.get_template_context``.
- Airflow 2.10 lives in ``.venv-airflow2``: ``tests/unit/airflow2_render.py`` runs
  there and renders a whole batch of drawn cases in one process (one Airflow import
  per batch), the context being ``TaskInstance.get_template_context``.

The generator only reads each DAG file by syntax.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from airlift_component.generate.runtime import AirflowRun
from tests.unit.child_python import AIRFLOW2_PYTHON, airflow_home_env, json_answer
from tests.unit.generated_project import generate, local_instance, write_project

TEMPLATE = (
    "echo {{ ds }} {{ ds_nodash }} {{ ts }} {{ ts_nodash }} {{ ts_nodash_with_tz }} "
    "{{ logical_date }} {{ data_interval_start }} {{ data_interval_end }} {{ run_id }} "
    "{{ task_instance_key_str }} {{ params.n }} {{ params.label }} "
    "{{ macros.ds_add(ds, params.n) }} {{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%y') }} "
    "{{ dag.dag_id }} {{ task.task_id }} {{ logical_date | ds_nodash }} "
    "{{ data_interval_end | ts_nodash_with_tz }} {% if params.n > 2 %}big{% else %}small{% endif %}"
)

DAG_FILE = f"""\
from airflow.sdk import DAG, Param
from airflow.providers.standard.operators.bash import BashOperator

with DAG("prop", schedule=None, params={{"n": Param(3, type="integer"), "label": "x"}}) as dag:
    BashOperator(task_id="render_me", bash_command={TEMPLATE!r})
"""

AIRLIFT_YAML = local_instance("""\
- dag: prop
  tasks:
    - task: render_me
      assets: [prop/render_me]
""")


def generated_module(project: Path, dag_file: str, name: str) -> Any:
    """The module `airlift generate` writes for task render_me of ``dag_file`` in
    ``project``, imported as ``name``."""
    write_project(project, {"prop.py": dag_file}, AIRLIFT_YAML)
    assert generate("prop", project=project) == 0
    path = project / "airlift_generated" / "prop__render_me.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generated_module(tmp_path_factory.mktemp("prop"), DAG_FILE, "generated_prop__render_me")


def airflow_task() -> Any:
    """The task as Airflow builds it from the same file (anew each time: rendering
    with a run's conf updates the task's params in place)."""
    namespace: dict[str, Any] = {}
    exec(compile(DAG_FILE, "prop.py", "exec"), namespace)
    return namespace["dag"].get_task("render_me")


def airflow_render(start: datetime, end: datetime, conf: dict[str, Any], task: Any = None) -> str:
    task = task or airflow_task()
    from airflow.sdk.api.datamodels._generated import (
        DagRun,
        DagRunState,
        DagRunType,
        TIRunContext,
    )
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    dag_run = DagRun.model_construct(
        dag_id="prop",
        run_id="scheduled__x",
        logical_date=start,
        data_interval_start=start,
        data_interval_end=end,
        run_after=end,
        start_date=end,
        end_date=None,
        partition_key=None,
        partition_date=None,
        run_type=DagRunType.SCHEDULED,
        state=DagRunState.RUNNING,
        conf=conf,
        consumed_asset_events=[],
    )
    server = TIRunContext.model_construct(
        dag_run=dag_run,
        max_tries=0,
        should_retry=False,
        task_reschedule_count=0,
        upstream_map_indexes=None,
        variables=[],
        connections=[],
        xcom_keys_to_clear=[],
    )
    ti = RuntimeTaskInstance.model_construct(
        id=uuid.uuid4(),
        task_id="render_me",
        dag_id="prop",
        run_id="scheduled__x",
        try_number=1,
        map_index=-1,
        task=task,
        max_tries=0,
        dag_version_id=uuid.uuid4(),
    )
    ti._ti_context_from_server = server
    ti._cached_template_context = None
    return str(task.render_template(task.bash_command, ti.get_template_context()))


zones = st.one_of(
    st.just(UTC),
    st.timezones(),
    st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
)


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=zones
    ),
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
    conf=st.one_of(
        st.just({}),
        st.fixed_dictionaries({"n": st.integers(-400, 400)}),
        st.fixed_dictionaries({"label": st.text(min_size=0, max_size=8)}),
    ),
)
def test_generated_command_renders_as_airflow_does(
    generated: Any, start: datetime, length: timedelta, conf: dict[str, Any]
) -> None:
    # What the runtime gets is Airflow's REST API text parsed: a fixed UTC offset. (A
    # wall time in a named zone's DST gap has no such text; Airflow never sends one.)
    start = datetime.fromisoformat(start.isoformat())
    end = datetime.fromisoformat((start + length).isoformat())
    ours = AirflowRun(
        dag_id=generated.DAG_ID,
        task_id=generated.TASK_ID,
        run_id="scheduled__x",
        logical_date=start,
        data_interval_start=start,
        data_interval_end=end,
        params={**generated.PARAMS, **conf},
        from_airflow=True,
    ).render(generated.BASH_COMMAND)
    assert ours == airflow_render(start, end, conf)


def test_the_dag_file_is_the_one_generated_from(generated: Any) -> None:
    assert generated.BASH_COMMAND == TEMPLATE
    assert generated.PARAMS == {"n": 3, "label": "x"}
    assert Path(generated.__file__).name == "prop__render_me.py"


VAR_TEMPLATE = (
    "{{ var.value.greeting }}|{{ var.json.cfg.n }}|{{ var.value.get('absent', 'fallback') }}"
    "|{{ var.value['greeting'] }}|{{ var.json.get('absent', params.label) }}"
)


@settings(max_examples=25, deadline=None)
@given(
    greeting=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
    ),
    n=st.integers(-(10**6), 10**6),
)
def test_variables_render_as_airflow_reads_them_from_the_environment(greeting: str, n: int) -> None:
    """``var.value`` / ``var.json`` come from ``AIRFLOW_VAR_<KEY>``, as Airflow's first
    secrets backend reads them; Airflow's renderer reads the same environment here."""
    from unittest import mock

    start = datetime(2024, 5, 6, tzinfo=UTC)
    values = {"AIRFLOW_VAR_GREETING": greeting, "AIRFLOW_VAR_CFG": f'{{"n": {n}}}'}
    with mock.patch.dict("os.environ", values):
        task = airflow_task()
        task.bash_command = VAR_TEMPLATE
        theirs = airflow_render(start, start, {}, task)
        ours = AirflowRun(
            dag_id="prop",
            task_id="render_me",
            run_id="scheduled__x",
            logical_date=start,
            data_interval_start=start,
            data_interval_end=start,
            params={"n": 3, "label": "x"},
        ).render(VAR_TEMPLATE)
    assert ours == theirs


# -- Airflow 2.10 ----------------------------------------------------------------

AIRFLOW2_HELPER = Path(__file__).with_name("airflow2_render.py")

AIRFLOW2_DAG_FILE = f"""\
from airflow import DAG
from airflow.models.param import Param
from airflow.operators.bash import BashOperator

with DAG("prop", schedule=None, params={{"n": Param(3, type="integer"), "label": "x"}}) as dag:
    BashOperator(task_id="render_me", bash_command={TEMPLATE!r})
"""


@pytest.fixture(scope="module")
def airflow2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """(the module generated from the Airflow 2 DAG file, a scratch Airflow home)."""
    assert AIRFLOW2_PYTHON.exists(), f"{AIRFLOW2_PYTHON} is missing: run scripts/setup"
    project = tmp_path_factory.mktemp("prop2")
    module = generated_module(project, AIRFLOW2_DAG_FILE, "generated2_prop__render_me")
    (project / "home").mkdir()
    return module, project


def airflow2_render(project: Path, cases: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Airflow 2.10's renderings of ``cases``, all in one child process."""
    request = {
        "dag_file": str(project / "dags" / "prop.py"),
        "dag_id": "prop",
        "task_id": "render_me",
        "cases": cases,
    }
    env = airflow_home_env(project / "home")
    answers: list[dict[str, str]] = json_answer(
        [str(AIRFLOW2_HELPER)], env=env, stdin=json.dumps(request)
    )
    assert len(answers) == len(cases)
    return answers


case = st.fixed_dictionaries(
    {
        "start": st.datetimes(
            min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=zones
        ),
        "length": st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
        "conf": st.one_of(
            st.just({}),
            st.fixed_dictionaries({"n": st.integers(-400, 400)}),
            st.fixed_dictionaries({"label": st.text(min_size=0, max_size=8)}),
        ),
    }
)


# Each example is a batch of drawn runs rendered by one Airflow 2 process; a failure
# names its run, so shrinking (one process per step) is left out.
@settings(max_examples=2, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(cases=st.lists(case, min_size=50, max_size=50))
def test_generated_command_renders_as_airflow2_does(
    airflow2: tuple[Any, Path], cases: list[dict[str, Any]]
) -> None:
    generated, project = airflow2
    runs = []
    for drawn in cases:
        start = datetime.fromisoformat(drawn["start"].isoformat())
        end = datetime.fromisoformat((start + drawn["length"]).isoformat())
        runs.append({"start": start.isoformat(), "end": end.isoformat(), "conf": drawn["conf"]})
    theirs = airflow2_render(project, runs)
    for run, answer in zip(runs, theirs, strict=True):
        ours = AirflowRun(
            dag_id=generated.DAG_ID,
            task_id=generated.TASK_ID,
            run_id="scheduled__x",
            logical_date=datetime.fromisoformat(run["start"]),
            data_interval_start=datetime.fromisoformat(run["start"]),
            data_interval_end=datetime.fromisoformat(run["end"]),
            params={**generated.PARAMS, **run["conf"]},
            from_airflow=True,
        ).render(generated.BASH_COMMAND)
        assert answer == {"rendered": ours}, run


def test_the_airflow2_dag_file_is_the_one_generated_from(airflow2: tuple[Any, Path]) -> None:
    generated, _ = airflow2
    assert generated.BASH_COMMAND == TEMPLATE
    assert generated.PARAMS == {"n": 3, "label": "x"}


@settings(max_examples=1, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(
    values=st.lists(
        st.tuples(
            st.text(
                st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=12,
            ),
            st.integers(-(10**6), 10**6),
        ),
        min_size=20,
        max_size=20,
    )
)
def test_variables_render_as_airflow2_reads_them_from_the_environment(
    airflow2: tuple[Any, Path], values: list[tuple[str, int]]
) -> None:
    """The Variable template above, against Airflow 2.10's renderer and its
    environment-variables secrets backend (one process for the whole batch)."""
    from unittest import mock

    _, project = airflow2
    start = datetime(2024, 5, 6, tzinfo=UTC).isoformat()
    cases = [
        {
            "start": start,
            "end": start,
            "conf": {},
            "command": VAR_TEMPLATE,
            "env": {"AIRFLOW_VAR_GREETING": greeting, "AIRFLOW_VAR_CFG": f'{{"n": {n}}}'},
        }
        for greeting, n in values
    ]
    theirs = airflow2_render(project, cases)
    for drawn, answer in zip(cases, theirs, strict=True):
        with mock.patch.dict("os.environ", drawn["env"]):
            ours = AirflowRun(
                dag_id="prop",
                task_id="render_me",
                run_id="scheduled__x",
                logical_date=datetime.fromisoformat(start),
                data_interval_start=datetime.fromisoformat(start),
                data_interval_end=datetime.fromisoformat(start),
                params={"n": 3, "label": "x"},
            ).render(VAR_TEMPLATE)
        assert answer == {"rendered": ours}, drawn["env"]
