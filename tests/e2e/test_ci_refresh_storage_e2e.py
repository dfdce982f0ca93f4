"""The deployment docs' CI step, as written: a refresh from CI with a DAGSTER_HOME of
its own reaches the deployment only through the deployment's run storage.

Versioned defs state keeps each version's object in ``defs_state_storage`` (S3 here,
moto's server on 127.0.0.1) and the pointer to the latest version in the instance's
run storage. Two DAGSTER_HOMEs play CI and the deployment:

- CI with the S3 storage but its own run storage uploads a version the deployment
  never sees (the pitfall docs/deployment.md warns about);
- CI with the deployment's run storage (a shared SQLite folder standing for the
  deployment's Postgres) is seen at the deployment's next load.

The deployment's load gets an Airflow URL nobody listens on, so what it shows comes
from the stored state, never from Airflow. Airflow 3 is real.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools.local_stack import AirflowServer
from devtools.local_stack.airflow_env import clean_base_environment
from devtools.local_stack.s3_server import S3Server

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).parent / "projects" / "prodshape"
DAG = "ci_refresh_storage_dag"
DAG_KEY = f"prodshape/dag/{DAG}"
DAG_SOURCE = f'''"""E2E (CI refresh): one Airflow DAG the CI step's refresh must carry to the deployment.

(Airflow's safe mode parses only files that mention both "airflow" and "dag".)
"""

from proxy_e2e_tasks import manual_dag, recording_task

with manual_dag("{DAG}") as dag:
    recording_task(dag.dag_id, "only")
'''
#: What the deployment's code location shows: its asset keys, loaded as a code server
#: loads it, inside the instance of $DAGSTER_HOME.
PROBE = """
import json
import dagster as dg
with dg.DagsterInstance.get():
    from prodshape_project.definitions import defs
    keys = ["/".join(key.path) for key in defs.resolve_asset_graph().get_all_asset_keys()]
print(json.dumps(sorted(keys)))
"""


class Deployment:
    """The project folder, the S3 server and the DAGSTER_HOMEs of one story."""

    def __init__(self, tmp: Path, s3: S3Server, airflow: AirflowServer) -> None:
        self.tmp, self.s3, self.airflow = tmp, s3, airflow
        self.project = tmp / "project"
        shutil.copytree(PROJECT, self.project, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        config = self.project / "src" / "prodshape_project" / "defs" / "airflow" / "airlift.yaml"
        config.write_text(config.read_text().replace('["prodshape_*"]', f'["{DAG}"]'))
        self.run_storage = tmp / "deployment-run-storage"

    def home(self, name: str, *, deployment_run_storage: bool) -> Path:
        """A DAGSTER_HOME whose dagster.yaml has the S3 defs state storage, and the
        deployment's run storage or (without it) a run storage of its own."""
        home = self.tmp / name
        home.mkdir()
        instance: dict[str, Any] = {
            "defs_state_storage": {
                "module": "dagster._core.storage.defs_state.blob_storage_state_storage",
                "class": "UPathDefsStateStorage",
                "config": {
                    "base_path": f"s3://{self.s3.bucket}/defs-state",
                    "storage_options": self.s3.storage_options(),
                },
            }
        }
        if deployment_run_storage:
            instance["storage"] = {"sqlite": {"base_dir": str(self.run_storage)}}
        (home / "dagster.yaml").write_text(yaml.safe_dump(instance))
        return home

    def _env(self, home: Path, airflow_url: str) -> dict[str, str]:
        return {
            **clean_base_environment(Path(sys.executable)),
            "DAGSTER_HOME": str(home),
            "PYTHONPATH": f"{self.project / 'src'}:{REPO}",
            "AIRFLOW_URL": airflow_url,
            "AIRFLOW_USER": self.airflow.username,
            "AIRFLOW_PASSWORD": self.airflow.password,
        }

    def ci_refresh(self, home: Path) -> None:
        """The docs' CI step: ``dg utils refresh-defs-state`` from the project folder."""
        done = subprocess.run(
            [str(Path(sys.executable).parent / "dg"), "utils", "refresh-defs-state"],
            cwd=self.project,
            env=self._env(home, self.airflow.url),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def deployment_asset_keys(self, home: Path) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", PROBE],
            cwd=home,
            env=self._env(home, "http://127.0.0.1:9"),  # nobody listens: state only
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[:2000] + "\n...\n" + done.stderr[-2000:]
        keys: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
        return keys


@pytest.mark.timeout(900)  # three Dagster loads and two refreshes on a shared 2-core machine
def test_a_ci_refresh_reaches_the_deployment_only_through_its_run_storage(
    airflow3: AirflowServer, tmp_path: Path
) -> None:
    airflow3.write_dag_file(f"{DAG}.py", DAG_SOURCE)
    airflow3.wait_for_dag(DAG)
    with S3Server(tmp_path / "s3") as s3:
        story = Deployment(tmp_path, s3, airflow3)
        deployment = story.home("deployment-home", deployment_run_storage=True)

        # CI's own run storage: the object is uploaded, the pointer stays in CI.
        story.ci_refresh(story.home("ci-home-alone", deployment_run_storage=False))
        assert len(s3.list_keys()) == 1
        assert DAG_KEY not in story.deployment_asset_keys(deployment)

        # CI with the deployment's run storage, as docs/deployment.md says: seen.
        story.ci_refresh(story.home("ci-home", deployment_run_storage=True))
        assert len(s3.list_keys()) == 2
        keys = story.deployment_asset_keys(deployment)
        assert DAG_KEY in keys
        assert "prodshape/loaded" in keys
