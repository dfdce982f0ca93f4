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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import dagster as dg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from airflow_side.redaction import UnsafeUrlError, check_userinfo
from airflow_side.redaction import redact as side_redact
from airflow_side.redaction import redact_url as side_redact_url
from airlift_component.airflow_api.asset_conditions import (
    condition_text,
    parse_condition,
    to_json_text,
)
from airlift_component.airflow_api.parse import parse_asset, parse_asset_event
from airlift_component.airflow_state.state_file import default_state_file
from airlift_component.cli.main import main
from airlift_component.component import build_defs
from airlift_component.component.materializations import redacted_extra
from airlift_component.dagster_api.client import DagsterClient
from airlift_component.redact import redact_url, scrub_userinfo
from tests.harness.fake_airflow_assets import AssetFakeAirflow
from tests.unit.cli_project import EXTRACT, NO_RETRIES, one_instance
from tests.unit.url_passwords import ANY_PASSWORDS, PASSWORDS, USERINFO_URLS
from tests.unit.url_passwords import hidden as _hidden

USERS = st.sampled_from(["admin", "AKIAEXAMPLE", ""])
URLS = st.sampled_from(
    [
        *USERINFO_URLS,
        "x-lake://{u}:{p}@bucket/users/alice@example.com/orders.csv",
        "gs://{u}:{p}@lake/orders@v2/part.parquet#frag",
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


@settings(max_examples=500, deadline=None)
@example(password="Pw/ssZq", user="user", url="s3://{u}:{p}@host/x")
@given(password=ANY_PASSWORDS, user=USERS, url=URLS)
def test_an_asset_uri_name_alias_or_condition_never_shows_the_password(
    password: str, user: str, url: str
) -> None:
    shown = url.format(u=user, p=password)
    asset = parse_asset(
        {"uri": shown, "name": shown, "producing_tasks": [], "aliases": [{"name": shown}]}
    )
    event = parse_asset_event(
        {"id": 1, "timestamp": "2026-01-01T00:00:00Z", "uri": shown, "name": shown}
    )
    condition = parse_condition(
        {
            "all": [
                shown,  # Airflow 2 writes a dataset as its URI
                {"asset": {"uri": shown, "name": shown, "id": 3}},
                {"asset_ref": {"uri": shown}},
                {"asset_ref": {"name": shown}},
                {"alias": {"name": shown, "group": "asset"}},  # an alias named with a URL
                {"alias": shown},  # Airflow 2 writes an alias as its name
                {"unknown": [shown, shown], "shape": shown},
            ]
        }
    )
    assert condition is not None
    texts = [repr(asset), repr(event), to_json_text(condition), condition_text(condition)]
    assert all(_hidden(text) for text in texts), texts


@settings(max_examples=300, deadline=None)
@given(password=ANY_PASSWORDS, user=USERS, wrapper=WRAPPERS, encode=st.booleans())
def test_the_airflow_side_never_shows_the_dagster_urls_password(
    password: str, user: str, wrapper: str, encode: bool
) -> None:
    secret = quote(password, safe="") if encode else password
    url = f"http://{user}:{secret}@dagster.example.com:3000/graphql"
    shown = [side_redact(wrapper.format(url=url), url), side_redact_url(url)]
    try:
        check_userinfo(url, "DAGSTER_URL")
    except UnsafeUrlError as exc:  # a userinfo that is not percent-encoded
        shown.append(str(exc))
    assert all(_hidden(text) for text in shown), shown


AIRLIFT = one_instance(
    EXTRACT,
    url="${AIRFLOW_URL}",
    auth="{type: none}",
    extra=f"api: v1\n{NO_RETRIES}\nairflow_assets: {{enabled: true}}",
)


#: The two tests that run the Dagster side end to end: few examples (each refreshes
#: against a fake Airflow), with function-scoped fixtures that carry nothing from one
#: example to the next (each makes its own folder, sets its own environment).
DAGSTER_SIDE_EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _airlift_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new airlift.yaml (AIRLIFT) in a folder of its own, for one example."""
    path = tmp_path_factory.mktemp("pw") / "airlift.yaml"
    path.write_text(AIRLIFT)
    return path


@contextmanager
def _logged_fake_airflow(caplog: pytest.LogCaptureFixture) -> Iterator[AssetFakeAirflow]:
    """A fake Airflow 2 (API v1) with DAG ``customers`` (task ``extract``), while
    everything is logged at DEBUG into a log emptied of the examples before."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG), AssetFakeAirflow(api="v1") as fake:
        fake.add_dag("customers", {"extract": []})
        yield fake


def _with_password(url: str, password: str) -> str:
    """``url`` with the userinfo ``admin:PASSWORD``, ``password`` written as given."""
    return url.replace("://", f"://admin:{password}@")


def _printed_and_logged(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> list[str]:
    """What the example printed to stdout and stderr, and what it logged."""
    out, err = capsys.readouterr()
    return [out, err, caplog.text]


def _tick(defs: dg.Definitions) -> str:
    sensor = defs.resolve_sensor_def("airlift_prod_sensor")
    context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral())
    try:
        result = sensor(context)
    except Exception as exc:  # shown in Dagster's UI: must hold no secret either
        return repr(exc)
    return repr(result)


@DAGSTER_SIDE_EXAMPLES
@given(password=PASSWORDS)
def test_everywhere_a_url_goes_on_the_dagster_side(
    password: str,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = _airlift_yaml(tmp_path_factory)
    shown: list[str] = []
    with _logged_fake_airflow(caplog) as fake:
        fake.add_dag("report", {"read": []}, schedule="Dataset")
        where = f"s3://{quote('AKIA:' + password, safe=':')}@lake/x"
        fake.add_asset("s3://lake/orders", producing_tasks=[("customers", "extract")])
        fake.add_asset_event(
            "s3://lake/orders",
            source=("customers", "extract", "r1"),
            extra={"note": f"copied from s3://AKIA:{password}@lake/x", "where": where},
        )
        # An asset URI Airflow keeps as written (an x- scheme), userinfo and all: in the
        # listing, an event, and a consumer's condition (with a shape it does not know).
        secret_uri = f"x-lake://AKIA:{password}@bucket/raw/orders"
        fake.add_asset(
            secret_uri, producing_tasks=[("customers", "extract")], scheduled_dags=["report"]
        )
        fake.add_asset_event(secret_uri, source=("customers", "extract", "r1"))
        # An alias named with a URL that holds a password: on the asset it was emitted
        # through, and in the condition of the DAG scheduled on it.
        fake.set_aliases("s3://lake/orders", [secret_uri])
        fake.set_expression(
            "report",
            {
                "any": [
                    secret_uri,
                    {"alias": secret_uri},
                    {"unknown": secret_uri, "next": [secret_uri]},
                ]
            },
        )
        fake.add_finished_run("customers", "r1")
        # Written correctly (percent-encoded): refresh, state file, metadata, a tick.
        monkeypatch.setenv("AIRFLOW_URL", _with_password(fake.url, quote(password, safe="")))
        assert main(["refresh", "--config", str(path)]) == 0
        shown.append(default_state_file(path).read_text())
        defs = build_defs(path, refresh="never")
        graph = defs.resolve_asset_graph()
        shown.append(repr([graph.get(key).metadata for key in graph.get_all_asset_keys()]))
        shown.append(repr(graph.get_all_asset_keys()))
        # the alias named with the URL still meets the condition naming it: both lose
        # the same userinfo, so `report` consumes what the alias resolved to
        assert dg.AssetKey(["prod", "airflow_asset", "s3", "lake", "orders"]) in (
            graph.get(dg.AssetKey(["prod", "dag", "report"])).parent_keys
        )
        # the asset keeps one key, whatever its password: the authority's userinfo goes
        assert dg.AssetKey(["prod", "airflow_asset", "x-lake", "bucket", "raw", "orders"]) in (
            graph.get_all_asset_keys()
        )
        shown.append(_tick(defs))
    # Airflow down (a closed port): the tick's skip reason and log.
    monkeypatch.setenv(
        "AIRFLOW_URL", _with_password("http://127.0.0.1:9", quote(password, safe=""))
    )
    with caplog.at_level(logging.DEBUG):
        shown.append(_tick(build_defs(path, refresh="never")))
    shown += _printed_and_logged(capsys, caplog)
    for text in shown:
        assert _hidden(text) and quote(password, safe="") not in text, text[:2000]


@DAGSTER_SIDE_EXAMPLES
@example(password="Pw@/Zq")
@given(password=PASSWORDS)
def test_an_instance_url_written_with_the_password_as_is_never_shows_it(
    password: str,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = _airlift_yaml(tmp_path_factory)
    shown: list[str] = []
    with _logged_fake_airflow(caplog) as fake:
        monkeypatch.setenv("AIRFLOW_URL", _with_password(fake.url, quote(password, safe="")))
        assert main(["refresh", "--config", str(path)]) == 0
        # Written as is (not percent-encoded): whatever fails must not show it.
        monkeypatch.setenv("AIRFLOW_URL", _with_password(fake.url, password))
        main(["refresh", "--config", str(path)])
        try:
            shown.append(_tick(build_defs(path, refresh="never")))
        except Exception as exc:
            shown.append(repr(exc))
    shown += _printed_and_logged(capsys, caplog)
    for text in shown:
        assert _hidden(text) and quote(password, safe="") not in text, text[:2000]


@settings(max_examples=50, deadline=None)
@example(password="Pw/abcZq")
@given(password=PASSWORDS)
def test_a_dagster_url_written_with_the_password_as_is_never_shows_it(password: str) -> None:
    try:
        with DagsterClient(f"http://admin:{password}@127.0.0.1:9", timeout=2) as client:
            client.graphql("query { version }", fields=("version",))
    except Exception as exc:  # unreachable, or refused: either way without the password
        assert _hidden(repr(exc)), repr(exc)
