"""``airflow_side`` imports Airflow and never Dagster: proven with Dagster made unimportable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.child_python import INTERPRETERS, ROOT, run_python

BLOCK_DAGSTER = r"""
import sys

class BlockDagster:
    def find_spec(self, name, path=None, target=None):
        if name == "dagster" or name.startswith(("dagster.", "dagster_")):
            raise ImportError(f"blocked for this test: {name}")
        return None

sys.meta_path.insert(0, BlockDagster())
import airflow_side
from airflow_side import __all__ as names
from airflow_side.policy import dag_policy
import airflow_side.operators.dagster_plus
for name in names:
    getattr(airflow_side, name)
loaded = sorted(m for m in sys.modules if m == "dagster" or m.startswith(("dagster.", "dagster_")))
assert not loaded, loaded
assert "airflow" in sys.modules
print("OK", len(names))
"""


@pytest.mark.parametrize("interpreter", sorted(INTERPRETERS), ids=sorted(INTERPRETERS))
def test_airflow_side_imports_without_dagster(interpreter: str, tmp_path: Path) -> None:
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    stdout = run_python(
        ["-c", BLOCK_DAGSTER], env=env, python=INTERPRETERS[interpreter], timeout=120
    )
    assert stdout.strip().startswith("OK")


def test_public_names() -> None:
    import airflow_side

    assert set(airflow_side.__all__) >= {
        "proxying_to_dagster",
        "load_proxied_state_from_yaml",
        "BaseProxyTaskToDagsterOperator",
        "BaseProxyDAGToDagsterOperator",
        "DefaultProxyTaskToDagsterOperator",
        "DefaultProxyDAGToDagsterOperator",
        "DagsterPlusProxyTaskToDagsterOperator",
        "DagsterPlusProxyDAGToDagsterOperator",
        # dagster-airlift's in_airflow names
        "AirflowProxiedState",
        "DagProxiedState",
        "TaskProxiedState",
        "ProxiedStateParsingError",
        "BaseDagsterAssetsOperator",
        "build_dagster_task",
    }
    # Every operator a DAG can hold is named so the Dagster side recognises it;
    # BaseDagsterAssetsOperator (dagster-airlift's name) is only ever a base class.
    for name in airflow_side.__all__:
        if name.endswith("Operator") and name != "BaseDagsterAssetsOperator":
            assert name.endswith(("ProxyTaskToDagsterOperator", "ProxyDAGToDagsterOperator"))
