"""A password in a URL never shows on the Dagster side, whatever characters it holds.

Generated passwords (``/`` as in AWS secret keys, ``@``, ``:``, ``?``, ``#``, ``%``,
quotes, non-ASCII) go everywhere a URL appears: text scrubbed for logs and
exceptions, an Airflow asset event's ``extra``, the state file, asset metadata,
the sensor's log and skip reason, and the CLI's output. Each password is framed by
two markers: any piece of it left in the output shows one of them.
"""

from __future__ import annotations

import json
import logging
import string
from urllib.parse import quote

import dagster as dg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlift_component.airflow_state.state_file import default_state_file
from airlift_component.cli.main import main
from airlift_component.component import build_defs
from airlift_component.component.materializations import redacted_extra
from airlift_component.redact import redact_url, scrub_userinfo
from tests.harness.fake_airflow import FakeAirflow

_NO_SPACE = string.ascii_letters + string.digits + string.punctuation + "éß€"
#: A password without whitespace (a URL in running text ends at whitespace).
PASSWORDS = st.text(st.sampled_from(list(_NO_SPACE)), min_size=1, max_size=24).map(
    lambda s: f"Pw{s}Zq"
)
#: Any password, whitespace too: where the code holds the URL as a URL.
ANY_PASSWORDS = st.text(st.sampled_from(list(_NO_SPACE + " \t\n")), min_size=1, max_size=24).map(
    lambda s: f"Pw{s}Zq"
)
USERS = st.sampled_from(["admin", "AKIAEXAMPLE", ""])
URLS = st.sampled_from(
    [
        "http://{u}:{p}@airflow.example.com:8080/api/v2/dags",
        "https://{u}:{p}@10.0.0.1",
        "s3://{u}:{p}@lake/raw/orders.parquet",
        "postgres://{u}:{p}@db:5432/sales?table=x",
    ]
)
WRAPPERS = st.sampled_from(
    [
        "{url}",
        "GET {url} failed (ConnectError)",
        "Airflow at '{url}': refused",
        '{{"where": "{url}", "rows": 3}}',
        "({url})",
        "<{url}>; see also http://other.example.com/x",
    ]
)


def _hidden(text: str) -> bool:
    return "Pw" not in text and "Zq" not in text


@settings(max_examples=500, deadline=None)
@given(password=PASSWORDS, user=USERS, url=URLS, wrapper=WRAPPERS)
def test_text_for_logs_and_exceptions_never_shows_the_password(
    password: str, user: str, url: str, wrapper: str
) -> None:
    text = wrapper.format(url=url.format(u=user, p=password))
    assert _hidden(scrub_userinfo(text)), scrub_userinfo(text)


@settings(max_examples=300, deadline=None)
@given(password=PASSWORDS, user=USERS, url=URLS, wrapper=WRAPPERS)
def test_an_event_extra_never_shows_the_password(
    password: str, user: str, url: str, wrapper: str
) -> None:
    shown = url.format(u=user, p=password)
    extra = {"where": wrapper.format(url=shown), "nested": {"list": [shown, 1]}}
    assert _hidden(json.dumps(redacted_extra(extra), ensure_ascii=False))


@settings(max_examples=500, deadline=None)
@given(password=ANY_PASSWORDS, user=USERS, url=URLS)
def test_a_url_shown_as_a_url_never_shows_the_password(password: str, user: str, url: str) -> None:
    assert _hidden(redact_url(url.format(u=user, p=password)))


AIRLIFT = """\
version: 1
instances:
  - name: prod
    url: ${AIRFLOW_URL}
    api: v1
    auth: {type: none}
    http: {retries: 0, deadline_seconds: 5}
    airflow_assets: {enabled: true}
    mappings:
      - dag: customers
        tasks:
          - task: extract
            assets: [raw/customers]
"""


def _tick(defs: dg.Definitions) -> str:
    sensor = defs.resolve_sensor_def("airlift_prod_sensor")
    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral())
    try:
        result = sensor(context)
    except Exception as exc:  # shown in Dagster's UI: must hold no secret either
        return repr(exc)
    return repr(result)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(password=PASSWORDS)
def test_everywhere_a_url_goes_on_the_dagster_side(
    password: str,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    tmp = tmp_path_factory.mktemp("pw")
    path = tmp / "airlift.yaml"
    path.write_text(AIRLIFT)
    caplog.clear()
    shown: list[str] = []
    with caplog.at_level(logging.DEBUG), FakeAirflow(api="v1") as fake:
        fake.add_dag("customers", {"extract": []})
        where = f"s3://{quote('AKIA:' + password, safe=':')}@lake/x"
        fake.add_asset("s3://lake/orders", producing_tasks=[("customers", "extract")])
        fake.add_asset_event(
            "s3://lake/orders",
            source=("customers", "extract", "r1"),
            extra={"note": f"copied from s3://AKIA:{password}@lake/x", "where": where},
        )
        fake.add_finished_run("customers", "r1")
        # Written correctly (percent-encoded): refresh, state file, metadata, a tick.
        monkeypatch.setenv(
            "AIRFLOW_URL", fake.url.replace("://", f"://admin:{quote(password, safe='')}@")
        )
        assert main(["refresh", "--config", str(path)]) == 0
        shown.append(default_state_file(path).read_text())
        defs = build_defs(path, refresh="never")
        graph = defs.resolve_asset_graph()
        shown.append(repr([graph.get(key).metadata for key in graph.get_all_asset_keys()]))
        shown.append(_tick(defs))
        # Written as is: whatever fails must not show it.
        raw = fake.url.replace("://", f"://admin:{password}@")
        monkeypatch.setenv("AIRFLOW_URL", raw)
        main(["refresh", "--config", str(path)])
        try:
            shown.append(_tick(build_defs(path, refresh="never")))
        except Exception as exc:
            shown.append(repr(exc))
    # Airflow down (a closed port): the tick's skip reason and log.
    monkeypatch.setenv("AIRFLOW_URL", f"http://admin:{quote(password, safe='')}@127.0.0.1:9")
    with caplog.at_level(logging.DEBUG):
        shown.append(_tick(build_defs(path, refresh="never")))
    out, err = capsys.readouterr()
    shown += [out, err, caplog.text]
    for text in shown:
        assert _hidden(text) and quote(password, safe="") not in text, text[:2000]
