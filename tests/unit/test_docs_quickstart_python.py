"""The quickstart's plain-Python snippet (evaluate the sensor once), run as written
against a component that keeps its state in versioned storage.

A ``my_project`` package loads ``defs/airflow/defs.yaml`` (the ``AirliftComponent``
with ``VERSIONED_STATE_STORAGE``); ``$DAGSTER_HOME`` keeps the state on a
``file://`` ``UPathDefsStateStorage``. The CI step's ``dg utils refresh-defs-state``
fills it from a fake Airflow, then the snippet, copied from docs/quickstart.md,
prints what the sensor would record. Without the ``with dg.DagsterInstance.get():``
the snippet has, the load fails (the second test shows Dagster's error).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devtools.local_stack.airflow_env import clean_base_environment
from tests.harness.fake_airflow import FakeAirflow

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "docs" / "quickstart.md"
DEPLOYMENT = REPO / "docs" / "deployment.md"
DEFS_YAML = """\
type: airlift_component.component.registry.AirliftComponent
attributes:
  airlift_yaml: airlift.yaml
  defs_state:
    management_type: VERSIONED_STATE_STORAGE
"""
DEFINITIONS = """\
from pathlib import Path

import dagster as dg

defs = dg.components.load_from_defs_folder(path_within_project=Path(__file__).parent)
"""
PYPROJECT = """\
[project]
name = "my-project"
version = "0.0.0"
requires-python = ">=3.11"
dependencies = ["airlift-component[dagster]"]

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "my_project"
registry_modules = ["airlift_component.component.registry"]
"""


def python_block(doc: Path, containing: str) -> str:
    """The one Python block of ``doc`` that contains ``containing``, as written."""
    text = doc.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    (snippet,) = [block for block in blocks if containing in block]
    return snippet


def flat(text: str) -> str:
    return " ".join(text.split())


class Project:
    """``my_project`` in a folder of its own, and a DAGSTER_HOME with versioned state."""

    def __init__(self, root: Path, airflow: FakeAirflow, password: str | None = None) -> None:
        self.root = root / "project"
        package = self.root / "src" / "my_project"
        folder = package / "defs" / "airflow"
        folder.mkdir(parents=True)
        (self.root / "pyproject.toml").write_text(PYPROJECT)
        (package / "__init__.py").write_text("")
        (package / "definitions.py").write_text(DEFINITIONS)
        (folder / "defs.yaml").write_text(DEFS_YAML)
        auth = {"type": "basic", "username": airflow.username, "password": password}
        instance = airflow.instance_config(
            "analytics",
            auth=auth if password is not None else None,
            mappings=[
                {"dag": "customers", "tasks": [{"task": "load_raw", "assets": ["raw/customers"]}]}
            ],
        )
        (folder / "airlift.yaml").write_text(
            yaml.safe_dump({"version": 1, "instances": [instance]})
        )
        self.home = root / "dagster-home"
        self.home.mkdir()
        storage = {
            "module": "dagster._core.storage.defs_state.blob_storage_state_storage",
            "class": "UPathDefsStateStorage",
            "config": {"base_path": (root / "defs-state").as_uri()},
        }
        (self.home / "dagster.yaml").write_text(yaml.safe_dump({"defs_state_storage": storage}))
        self.env = {
            **clean_base_environment(Path(sys.executable)),
            "DAGSTER_HOME": str(self.home),
            # dg and Dagster import the project: installed, or its src on the path.
            "PYTHONPATH": f"{self.root / 'src'}:{REPO}",
        }

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(command),
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )


@pytest.fixture
def refreshed(tmp_path: Path) -> object:
    with FakeAirflow("v2", username="admin", password="pw") as airflow:
        airflow.add_dag("customers", {"load_raw": []})
        airflow.add_finished_run("customers", "manual__1")
        project = Project(tmp_path, airflow)
        done = project.run(str(Path(sys.executable).parent / "dg"), "utils", "refresh-defs-state")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert list((tmp_path / "defs-state").rglob("*")), "the refresh stored a state version"
        yield project


@pytest.mark.timeout(900)  # dg and two Dagster loads on a shared 2-core machine
def test_the_quickstart_sensor_snippet_runs_as_written_with_versioned_state(
    refreshed: Project,
) -> None:
    script = refreshed.root / "evaluate_sensor.py"
    script.write_text(python_block(QUICKSTART, "get_sensor_def"))
    done = refreshed.run(sys.executable, str(script))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "raw/customers manual__1" in done.stdout.splitlines()


@pytest.mark.timeout(900)
def test_without_the_instance_the_versioned_load_fails_as_the_quickstart_says(
    refreshed: Project,
) -> None:
    script = refreshed.root / "bare_import.py"
    script.write_text("from my_project.definitions import defs\n")
    done = refreshed.run(sys.executable, str(script))
    assert done.returncode != 0
    said = "DagsterInvalidInvocationError: Attempted to access state for key AirliftComponent["
    assert said in done.stderr
    assert "without a StateStorage in context" in done.stderr
    for doc in (QUICKSTART, DEPLOYMENT):
        assert flat(said) in flat(doc.read_text(encoding="utf-8")), doc.name


@pytest.mark.timeout(900)
def test_the_deployment_docs_plain_python_load_runs_as_written(refreshed: Project) -> None:
    script = refreshed.root / "load.py"
    script.write_text(
        python_block(DEPLOYMENT, "dg.DagsterInstance.get()")
        + "print(sorted(key.to_user_string() for key in defs.resolve_all_asset_keys()))\n"
    )
    done = refreshed.run(sys.executable, str(script))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "'raw/customers'" in done.stdout and "'analytics/dag/customers'" in done.stdout


@pytest.mark.timeout(900)
def test_a_deleted_state_object_fails_the_load_as_the_deployment_docs_say(
    refreshed: Project,
) -> None:
    stored = [path for path in (refreshed.root.parent / "defs-state").rglob("*") if path.is_file()]
    assert len(stored) == 1
    stored[0].unlink()  # what an S3 lifecycle rule or a clean-up does
    script = refreshed.root / "load.py"
    script.write_text(python_block(DEPLOYMENT, "dg.DagsterInstance.get()"))
    done = refreshed.run(sys.executable, str(script))
    assert done.returncode != 0
    said = (
        "the latest stored version has no object in the state storage (deleted by hand "
        "or by a lifecycle rule?); run `dg utils refresh-defs-state` (it stores a new "
        "version), then `airlift reload`"
    )
    assert "StateFileError: the defs state AirliftComponent[" in done.stderr
    assert said in done.stderr, done.stderr[-3000:]
    assert "No state found" not in done.stderr  # Dagster's own words, replaced
    assert flat(said) in flat(DEPLOYMENT.read_text(encoding="utf-8"))


@pytest.mark.timeout(900)
def test_a_failed_dg_refresh_prints_what_the_deployment_docs_say(tmp_path: Path) -> None:
    """Exit code 1 and the error as dg's one line, no traceback; nothing is stored."""
    with FakeAirflow("v2", username="admin", password="pw") as airflow:
        airflow.add_dag("customers", {"load_raw": []})
        project = Project(tmp_path, airflow, password="not-the-pw-7f3")
        done = project.run(str(Path(sys.executable).parent / "dg"), "utils", "refresh-defs-state")
    said = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Traceback" not in said
    last = said.strip().splitlines()[-1]
    assert "instance 'analytics'" in last and "401" in last
    assert "not-the-pw-7f3" not in said  # the password is never printed
    assert not (tmp_path / "defs-state").exists()
    docs = flat(DEPLOYMENT.read_text(encoding="utf-8"))
    assert (
        flat("`dg utils refresh-defs-state` prints its progress, then that line as `Error:") in docs
    )
