"""What the generate coverage loop records when Airflow refuses to trigger a DAG: what
Airflow said, on one line (it recorded only ``{``, the first line of Airflow 2's JSON)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from devtools.generate_coverage_loop import refusal, trigger

#: Airflow 2.10's answer to a trigger of example_workday_timetable (its timetable
#: plugin not loaded): connexion's problem document, indented, so its first line is
#: "{"; the detail is the one the loop recorded (devtools/generate_coverage_loop_results.jsonl).
AIRFLOW2_PROBLEM = json.dumps(
    {
        "detail": "DAG with dag_id: 'example_workday_timetable' has import errors",
        "status": 400,
        "title": "DAG cannot be triggered",
        "type": "https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html"
        "#section/Errors/BadRequest",
    },
    indent=2,
)
AIRFLOW2_DETAIL = json.loads(AIRFLOW2_PROBLEM)["detail"]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        pytest.param(AIRFLOW2_PROBLEM, AIRFLOW2_DETAIL, id="airflow2-problem-detail"),
        pytest.param('{"detail": "DAG with dag_id: \'x\' not found"}',
                     "DAG with dag_id: 'x' not found", id="airflow3-detail"),
        pytest.param('{\n  "title": "Unauthorized",\n  "status": 401\n}', "Unauthorized",
                     id="title-without-detail"),
        pytest.param(
            '{"detail": [{"type": "missing", "loc": ["body", "logical_date"], "msg": "Field '
            'required"}]}',
            '[{"type":"missing","loc":["body","logical_date"],"msg":"Field required"}]',
            id="airflow3-validation-errors",
        ),
        pytest.param('{\n  "status": 500\n}', '{"status":500}', id="json-without-detail"),
        pytest.param("<html>\n  <h1>502 Bad Gateway</h1>\n</html>\n",
                     "<html> <h1>502 Bad Gateway</h1> </html>", id="not-json"),
        pytest.param("", "", id="empty"),
    ],
)  # fmt: skip
def test_the_refusal_is_what_airflow_said_on_one_line(body: str, line: str) -> None:
    assert refusal(body) == line


def test_a_long_refusal_is_cut_to_the_limit() -> None:
    line = refusal(json.dumps({"detail": "word " * 100}), limit=40)
    assert len(line) == 40
    assert line == "word " * 7 + "word…"


def test_a_refused_trigger_says_what_airflow_said() -> None:
    def request(method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.Response(400, text=AIRFLOW2_PROBLEM)

    airflow: Any = SimpleNamespace(api=SimpleNamespace(request=request))
    with pytest.raises(RuntimeError) as raised:
        trigger(airflow, "example_workday_timetable")
    assert str(raised.value) == (
        f"POST /dags/example_workday_timetable/dagRuns -> 400: {AIRFLOW2_DETAIL}"
    )
