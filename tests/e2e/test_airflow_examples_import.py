"""The project's Airflow 2 and Airflow 3 are the ones a user has: every example DAG
that ships with Airflow imports without an error (on a migrated SQLite database,
as a DAG processor would parse it)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from devtools.local_stack.airflow import DEFAULT_PYTHON

pytestmark = pytest.mark.e2e

_PARSE = """
import json, pathlib, warnings
warnings.simplefilter("ignore")
import airflow
from airflow.models.dagbag import DagBag
folder = pathlib.Path(airflow.__file__).parent / "example_dags"
kwargs = {"include_examples": False} if airflow.__version__.startswith("2.") else {}
bag = DagBag(dag_folder=str(folder), **kwargs)
print("RESULT:" + json.dumps({"version": airflow.__version__, "dags": len(bag.dags),
      "errors": {pathlib.Path(k).name: v.strip().splitlines()[-1] for k, v in bag.import_errors.items()}}))
"""


@pytest.mark.parametrize("major", [2, 3], ids=["af2", "af3"])
def test_every_bundled_example_dag_imports(major: int, tmp_path: Path) -> None:
    python = str(DEFAULT_PYTHON[major])
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
    }
    airflow = str(Path(python).parent / "airflow")
    subprocess.run(
        [airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300
    )
    done = subprocess.run(
        [python, "-c", _PARSE], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT:"))
    result = json.loads(line.removeprefix("RESULT:"))
    assert result["version"].startswith(f"{major}.")
    assert result["errors"] == {}
    assert result["dags"] >= 50
