"""URL userinfo (``user:password@``) never reaches the state file, asset metadata, errors or drift."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from airlift_component.airflow_state.state_file import default_state_file
from airlift_component.cli.main import main
from airlift_component.component import build_defs
from tests.harness.fake_airflow import FakeAirflow
from tests.unit.cli_project import EXTRACT, one_instance

SENTINEL = "s3ntinel-Pa55"

AIRLIFT = one_instance(EXTRACT, url="${AIRFLOW_URL}", auth="{type: none}", extra="api: v1")


@pytest.fixture
def fake() -> Iterator[FakeAirflow]:
    with FakeAirflow(api="v1") as fake:
        fake.add_dag("customers", {"extract": []})
        fake.add_dag("orders", {"x": []})
        yield fake


@pytest.fixture
def config(fake: FakeAirflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIRFLOW_URL", fake.url.replace("://", f"://admin:{SENTINEL}@"))
    path = tmp_path / "airlift.yaml"
    path.write_text(AIRLIFT)
    return path


def _everything_shown(defs: dg.Definitions) -> str:
    graph = defs.resolve_asset_graph()
    specs = [graph.get(key).to_asset_spec() for key in graph.get_all_asset_keys()]
    return repr([(spec.metadata, spec.tags, spec.description) for spec in specs])


def test_userinfo_stays_out_of_state_metadata_and_output(
    config: Path, fake: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["refresh", "--config", str(config)]) == 0
    state = default_state_file(config).read_text()
    assert SENTINEL not in state and "admin@" not in state
    assert json.loads(state)["instances"]["prod"]["url"] == fake.url
    defs = build_defs(config, refresh="never")
    shown = _everything_shown(defs)
    assert SENTINEL not in shown
    assert f"{fake.url}/dags/customers/grid" in shown
    main(["drift", "--config", str(config)])
    main(["drift", "--config", str(config), "--format", "json"])
    out, err = capsys.readouterr()
    assert SENTINEL not in out + err
    assert fake.url in out


def test_userinfo_stays_out_of_refresh_errors(
    config: Path, fake: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fake.url
    fake.stop()
    assert main(["refresh", "--config", str(config)]) == 1
    with pytest.raises(Exception) as info:
        build_defs(config, refresh="if_missing")
    out, err = capsys.readouterr()
    assert SENTINEL not in out + err + str(info.value) + repr(info.value)
    assert "could not" in err
    # the instance named once, with its redacted URL, and the cause ended before the remedy
    assert err.startswith(f"airlift refresh: instance 'prod' (Airflow at {url}): GET ")
    assert "Airflow instance" not in err and "). Nothing was written; " in err
