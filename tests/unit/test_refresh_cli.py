"""`airlift refresh` writes the file `dg utils refresh-defs-state` writes, without importing Dagster."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster.components.testing import DefsFolderSandbox, create_defs_folder_sandbox

from airlift_component.cli.main import main
from tests.harness.fake_airflow import FakeAirflow
from tests.unit.cli_project import EXTRACT, one_instance


def _airlift(url: str) -> str:
    """Instance ``prod`` at the fake Airflow 3 at ``url`` (no auth), mapping ``extract``."""
    return one_instance(EXTRACT, url=url, auth="{type: none}", extra="api: v2")


def _component(sandbox: DefsFolderSandbox, url: str, attributes: dict[str, Any]) -> Path:
    """The sandbox's defs folder ``airflow``: :func:`_airlift` and a ``defs.yaml``
    declaring the component with ``attributes``."""
    folder = sandbox.defs_folder_path / "airflow"
    folder.mkdir()
    (folder / "airlift.yaml").write_text(_airlift(url))
    body = {"type": "airlift_component.component.AirliftComponent", "attributes": attributes}
    (folder / "defs.yaml").write_text(yaml.safe_dump(body))
    return folder


@pytest.fixture
def fake() -> Iterator[FakeAirflow]:
    with FakeAirflow(api="v2") as fake:
        fake.add_dag("customers", {"extract": ["load"], "load": []})
        fake.add_dag("orders", {"x": []})
        yield fake


def _without_times(data: bytes) -> dict[str, Any]:
    document = json.loads(data)
    document.pop("fetched_at")
    for state in document["instances"].values():
        state.pop("fetched_at")
    return dict(document)


def test_airlift_refresh_writes_the_components_local_state_like_dg(fake: FakeAirflow) -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = _component(sandbox, fake.url, {})
        code = subprocess.run(
            [sys.executable, "-c", "import sys\nfrom airlift_component.cli.main import main\n"
             "code = main(sys.argv[1:])\nassert 'dagster' not in sys.modules\nsys.exit(code)",
             "refresh", "--config", str(folder / "airlift.yaml"),
             "--project", str(sandbox.project_root)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert code.returncode == 0, code.stderr
        (written,) = (sandbox.defs_folder_path / ".local_defs_state").glob("*/state")
        by_cli = written.read_bytes()
        assert str(written) in code.stdout
        with sandbox.load_component_and_build_defs(defs_path=folder) as (component, defs):
            assert ["prod", "dag", "orders"] in [k.path for k in defs.resolve_all_asset_keys()]
            asyncio.run(component.refresh_state(sandbox.project_root))
        by_dagster = written.read_bytes()
        assert by_dagster != by_cli  # rewritten by the component's refresh...
        assert _without_times(by_dagster) == _without_times(by_cli)  # ...with the same state


def test_refresh_without_a_dg_project_writes_next_to_airlift_yaml(
    fake: FakeAirflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "airlift.yaml"
    config.write_text(_airlift(fake.url))
    assert main(["refresh", "--config", str(config)]) == 0
    assert (tmp_path / ".airlift" / "state.json").is_file()
    out = tmp_path / "elsewhere.json"
    assert main(["refresh", "--config", str(config), "--output", str(out)]) == 0
    assert json.loads(out.read_text())["instances"]["prod"]["api_version"] == "v2"


def test_a_versioned_component_is_left_to_dg(
    fake: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    with create_defs_folder_sandbox() as sandbox:
        attributes = {"defs_state": {"management_type": "VERSIONED_STATE_STORAGE"}}
        folder = _component(sandbox, fake.url, attributes)
        args = ["refresh", "--config", str(folder / "airlift.yaml")]
        assert main([*args, "--project", str(sandbox.project_root)]) == 1
        assert "dg utils refresh-defs-state" in capsys.readouterr().err


def test_dev_refreshes_at_load_and_keeps_the_last_good_state_when_airflow_is_down(
    fake: FakeAirflow, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")  # what dagster dev / dg set
    with create_defs_folder_sandbox() as sandbox:
        attributes = {"defs_state": {"management_type": "LOCAL_FILESYSTEM"}}
        folder = _component(sandbox, fake.url, attributes)
        with sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
            assert ["prod", "dag", "orders"] in [k.path for k in defs.resolve_all_asset_keys()]
        fake.add_dag("added", {"t": []})
        with sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
            assert ["prod", "dag", "added"] in [k.path for k in defs.resolve_all_asset_keys()]
        url = fake.url
        fake.stop()
        with sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
            assert ["prod", "dag", "added"] in [k.path for k in defs.resolve_all_asset_keys()]
        assert "Airflow state refresh failed: instance 'prod' (Airflow at" in caplog.text
        assert url in caplog.text


def test_refreshing_one_instance_keeps_the_others_last_state(
    fake: FakeAirflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "airlift.yaml"
    second = _airlift(fake.url).split("instances:\n", 1)[1]
    second = second.replace("prod", "other").replace("raw/customers", "raw/other")
    config.write_text(_airlift(fake.url) + second)
    assert main(["refresh", "--config", str(config)]) == 0
    state = tmp_path / ".airlift" / "state.json"
    before = json.loads(state.read_text())["instances"]["other"]
    fake.add_dag("added", {"t": []})
    assert main(["refresh", "--config", str(config), "--instance", "prod"]) == 0
    after = json.loads(state.read_text())["instances"]
    assert "added" in {dag["dag_id"] for dag in after["prod"]["dags"]}
    assert after["other"] == before
