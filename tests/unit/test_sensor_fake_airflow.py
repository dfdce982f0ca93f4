"""The sensor through the real REST client, against the fake Airflow server (both API shapes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from airlift_component.component import build_defs
from tests.harness.fake_airflow import FakeAirflow
from tests.unit.cli_project import PASSWORD, USERNAME, fake_instance

MAPPINGS = """\
- dag: chain
  tasks:
    - task: a
      assets: [chain/a]
    - task: b
      assets: [chain/b]
"""


@pytest.fixture(params=["v1", "v2"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeAirflow]:
    with FakeAirflow(api=request.param, username=USERNAME, password=PASSWORD) as fake:
        fake.add_dag("chain", {"a": ["b"], "b": []})
        yield fake


def test_ticks_through_real_client_survive_an_outage(fake: FakeAirflow, tmp_path: Path) -> None:
    path = tmp_path / "airlift.yaml"
    path.write_text(fake_instance(fake.url, MAPPINGS))
    sensor = build_defs(path, refresh="if_missing").resolve_sensor_def("airlift_fake_sensor")
    instance = dg.DagsterInstance.ephemeral()

    def tick(cursor: str | None) -> dg.SensorResult | dg.SkipReason:
        return sensor(dg.build_sensor_context(instance=instance, cursor=cursor))  # type: ignore[no-any-return]

    now = datetime.now(timezone.utc)
    fake.add_finished_run("chain", "r1", end_date=now - timedelta(minutes=2))
    first = tick(None)
    assert isinstance(first, dg.SensorResult)
    assert {e.asset_key.to_user_string() for e in first.asset_events or []} == {
        "chain/a",
        "chain/b",
        "fake/dag/chain",
    }

    fake.add_finished_run("chain", "r2", end_date=now - timedelta(minutes=1))
    fake.fail_next(1, status=503)
    skipped = tick(first.cursor)
    assert isinstance(skipped, dg.SkipReason)
    assert "cursor was not moved" in (skipped.skip_message or "")

    second = tick(first.cursor)
    assert isinstance(second, dg.SensorResult)
    run_ids = {str(e.metadata["airflow/run_id"].value) for e in second.asset_events or []}
    assert run_ids == {"r2"}
    third = tick(second.cursor)
    assert not getattr(third, "asset_events", None)


def test_description_and_reasons_carry_no_url_userinfo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EO_SENSOR_PW", "pw-Sekr1t")
    with FakeAirflow(api="v1", username="admin", password="pw-Sekr1t") as fake:
        fake.add_dag("chain", {"a": ["b"], "b": []})
        secret_url = fake.url.replace("http://", "http://admin:pw-Sekr1t@")
        path = tmp_path / "airlift.yaml"
        path.write_text(
            fake_instance(secret_url, MAPPINGS).replace(
                "password: pw}", "password: '${EO_SENSOR_PW}'}"
            )
        )
        sensor = build_defs(path, refresh="if_missing").resolve_sensor_def("airlift_fake_sensor")
        instance = dg.DagsterInstance.ephemeral()
        shown = [sensor.description or ""]
        fake.add_finished_run("chain", "r1")
        for fail in (False, True):
            if fail:
                fake.fail_next(5, status=503)
            result = sensor(dg.build_sensor_context(instance=instance))
            reason = getattr(result, "skip_message", None) or getattr(
                getattr(result, "skip_reason", None), "skip_message", ""
            )
            shown.append(str(reason))
        assert "127.0.0.1" in shown[0]
        assert all("Sekr1t" not in text and "admin:" not in text for text in shown), shown
