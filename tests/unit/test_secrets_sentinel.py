"""No secret shown, anywhere: a sentinel in every secret-bearing setting, then a grep
of every command's output, every file written, every asset's metadata, the
sensor's description and events, every log record and every error text.

The Airflow is the in-process fake over real HTTP on 127.0.0.1; its URL carries
``user:password@`` and the password comes from the environment, the way a
deployment passes ``${AIRFLOW_URL}``. (The Dagster URL and the Dagster+ token are
covered the same way in ``test_dagster_api*`` and the Airflow-side fault tests.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from airlift_component.cli.main import main as airlift
from airlift_component.component import build_defs
from tests.harness.fake_airflow import FakeAirflow
from tests.unit.cli_project import one_instance

URL_SECRET = "urlpw-SENTINEL-5e1f"
PASSWORD = "pw-SENTINEL-9a7c"
SENTINELS = (URL_SECRET, PASSWORD)

AIRLIFT_YAML = one_instance(
    """\
- dag: customers
  assets: [reports/customers]
  tasks:
    - task: extract
      assets: [raw/customers]
    - task: load
      assets: [analytics/customers]
""",
    url="${AIRFLOW_URL}",
    auth='{type: basic, username: admin, password: "${AIRFLOW_PASSWORD}"}',
    extra="proxied_state_dir: proxied_state",
)


@pytest.fixture
def fake() -> Iterator[FakeAirflow]:
    with FakeAirflow("v2", username="admin", password=PASSWORD) as server:
        server.add_dag("customers", {"extract": ["load"], "load": []})
        server.add_dag("orders", {"a": []})
        server.add_finished_run("customers", "run_1")
        yield server


@pytest.fixture
def project(tmp_path: Path, fake: FakeAirflow, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIRFLOW_URL", fake.url.replace("http://", f"http://ghost:{URL_SECRET}@"))
    monkeypatch.setenv("AIRFLOW_PASSWORD", PASSWORD)
    (tmp_path / "proxied_state").mkdir()
    path = tmp_path / "airlift.yaml"
    path.write_text(AIRLIFT_YAML)
    return path


def _leaks(text: str) -> list[str]:
    return [sentinel for sentinel in SENTINELS if sentinel in text]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = airlift(list(args))
    out, err = capsys.readouterr()
    return f"exit {code}\n{out}\n{err}"


def test_no_command_output_file_log_or_metadata_shows_a_secret(
    project: Path,
    fake: FakeAirflow,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.chdir(project.parent)
    config = str(project)
    shown = {
        "validate": _run(capsys, "validate", config),
        "refresh": _run(capsys, "refresh", "--config", config),
        "drift": _run(capsys, "drift", "--config", config),
        "drift json": _run(capsys, "drift", "--config", config, "--format", "json"),
        "scaffold": _run(
            capsys, "scaffold", "--config", config, "--instance", "prod", "--out", "proxied_state"
        ),
        "status": _run(capsys, "proxy", "status", "--config", config),
        "status json": _run(capsys, "proxy", "status", "--config", config, "--format", "json"),
    }
    assert "exit 0" in shown["refresh"], shown["refresh"]

    defs = build_defs(project, refresh="never")
    for spec in defs.resolve_all_asset_specs():
        shown[f"metadata {spec.key.to_user_string()}"] = repr(dict(spec.metadata))
        shown[f"spec {spec.key.to_user_string()}"] = repr(spec)
    sensor = defs.get_sensor_def("airlift_prod_sensor")
    shown["sensor description"] = sensor.description or ""
    with dg.DagsterInstance.ephemeral() as instance:
        result = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    events = getattr(result, "asset_events", None) or []
    assert events, f"the sensor recorded nothing: {result!r}"
    shown["sensor events"] = repr([(e.asset_key, dict(e.metadata)) for e in events])

    fake.stop()  # an unreachable Airflow: the error texts name the URL
    shown["refresh, Airflow down"] = _run(capsys, "refresh", "--config", config)
    shown["drift, Airflow down"] = _run(capsys, "drift", "--config", config)

    shown["logs"] = "\n".join(record.getMessage() for record in caplog.records)
    for file in project.parent.rglob("*"):
        if file.is_file():
            shown[f"file {file.relative_to(project.parent)}"] = file.read_bytes().decode(
                "utf-8", "replace"
            )

    leaks = {where: _leaks(text) for where, text in shown.items() if _leaks(text)}
    assert leaks == {}
    assert any("127.0.0.1" in text for text in shown.values())  # the URL itself is shown
