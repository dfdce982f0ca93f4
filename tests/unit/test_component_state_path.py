"""The component's defs state path gets the checks ``read_state_file`` gives plain ``build_defs``.

A folder, a FIFO (opening it would block), a device such as ``/dev/zero`` (reading
it would never end) or a file that cannot be read: one logged error naming the
state and the fix, and the assets mapped in ``airlift.yaml`` still load.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
import yaml
from component_fixtures import AIRLIFT_YAML, airflows, factory
from dagster.components.testing import create_defs_folder_sandbox

from airlift_component.airflow_state.fetch import fetch_state_file
from airlift_component.airflow_state.state_file import write_state_file
from airlift_component.airflow_state.state_location import components_reading, find_dg_project
from airlift_component.config.airlift_yaml.load import load_airlift_file


def _folder(state: Path) -> None:
    state.mkdir()


def _fifo(state: Path) -> None:
    os.mkfifo(state)


def _dev_zero(state: Path) -> None:
    state.symlink_to("/dev/zero")


def _unreadable(state: Path) -> None:
    # A regular file that cannot be read even by root (chmod 000 can be): reading
    # this process's own memory at offset 0 fails with EIO.
    state.symlink_to("/proc/self/mem")


@pytest.mark.timeout(120)  # a FIFO read blocked forever before the fix
@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_folder, "is a folder, not an Airflow state file"),
        (_fifo, "is a FIFO, device or socket, not an Airflow state file"),
        (_dev_zero, "is a FIFO, device or socket, not an Airflow state file"),
        (_unreadable, "cannot read the Airflow state file"),
    ],
    ids=["folder", "fifo", "dev-zero", "unreadable"],
)
def test_a_state_path_that_is_not_a_readable_file_is_one_logged_error(
    make: Callable[[Path], None], says: str, caplog: pytest.LogCaptureFixture
) -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        folder.mkdir(parents=True)
        airlift_yaml = folder / "airlift.yaml"
        airlift_yaml.write_text(AIRLIFT_YAML)
        body = {
            "type": "airlift_component.component.AirliftComponent",
            "attributes": {"defs_state": {"management_type": "LOCAL_FILESYSTEM"}},
        }
        (folder / "defs.yaml").write_text(yaml.safe_dump(body))
        project = find_dg_project(airlift_yaml)
        assert project is not None
        (target,) = components_reading(airlift_yaml, project)
        assert target.path is not None
        model = load_airlift_file(airlift_yaml)
        write_state_file(target.path, fetch_state_file(model.instances, factory(airflows())))
        target.path.unlink()
        make(target.path)

        with sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
            keys = defs.resolve_all_asset_keys()
            assert dg.AssetKey(["prod", "dag", "customers"]) in keys  # mapped: still loads
            assert dg.AssetKey(["raw", "customers"]) in keys
            assert dg.AssetKey(["prod", "dag", "orders"]) not in keys  # only the state knew it

    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1, caplog.text
    message = errors[0].getMessage()
    assert "the defs state AirliftComponent[" in message
    assert says in message
    assert "airlift refresh" in message
    assert "Traceback" not in caplog.text
