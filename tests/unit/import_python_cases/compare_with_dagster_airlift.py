"""Check ``ORIGINAL`` of test_import_python_roundtrip against the real dagster-airlift.

dagster-airlift is not a dependency of this project, so this is a script, not a
test. In a throwaway venv (never ``.venv``)::

    python -m venv /tmp/airlift-cmp-venv
    /tmp/airlift-cmp-venv/bin/pip install "dagster==1.13.27" dagster-airlift boto3
    .venv/bin/python tests/unit/import_python_cases/compare_with_dagster_airlift.py \\
        /tmp/airlift-cmp-venv/bin/python

Each case module runs for real (its ``defs`` built by dagster-airlift) against
dagster-airlift's own in-memory Airflow (``dagster_airlift.test.make_instance``)
holding the DAGs of ``AIRFLOWS``; the keys and lineage it defines are compared
with ``ORIGINAL``. Two names the released package lacks get stand-ins with their
documented meaning: ``AirflowBearerTokenBackend`` (newer than 0.29.27) and
``dag_defs`` / ``task_defs`` (the older API).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import importlib.util, json, sys, types
case_root, module_path, airflows = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, case_root)
import dagster as dg
import dagster_airlift.core as core
from dagster_airlift.test import make_instance

token = types.ModuleType("dagster_airlift.core.token_backend")
class AirflowBearerTokenBackend(core.AirflowAuthBackend):
    def __init__(self, webserver_url, token): self.url = webserver_url
    def get_session(self): raise AssertionError("no network here")
    def get_webserver_url(self): return self.url
token.AirflowBearerTokenBackend = AirflowBearerTokenBackend
sys.modules[token.__name__] = token

def fake_instance(auth_backend=None, name=None, **kwargs):
    dags = airflows[name]
    return make_instance(
        {dag: list(edges) for dag, (edges, tags) in dags.items()},
        task_deps={t: d for edges, _ in dags.values() for t, d in edges.items()},
        instance_name=name,
        dag_props={dag: {"tags": tags} for dag, (edges, tags) in dags.items()},
    )

def task_defs(task_id, defs):
    return (task_id, defs)

def dag_defs(dag_id, *tasks):
    mappings = {t: list(d.assets or []) for t, d in tasks}
    return dg.Definitions(assets=core.assets_with_task_mappings(dag_id=dag_id, task_mappings=mappings))

core.AirflowInstance, core.task_defs, core.dag_defs = fake_instance, task_defs, dag_defs
spec = importlib.util.spec_from_file_location("case_defs", module_path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
graph = module.defs.resolve_asset_graph()
print(json.dumps({
    k.to_user_string(): sorted(d.asset_key.to_user_string() for d in graph.get(k).to_asset_spec().deps)
    for k in graph.get_all_asset_keys()
}))
"""


def main(python: str) -> int:
    sys.path.insert(0, str(HERE.parent))
    from import_python_support import MODULES
    from test_import_python_roundtrip import AIRFLOWS, ORIGINAL

    differ = 0
    for case in sorted(ORIGINAL):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / case
            shutil.copytree(HERE / case, root)
            dags = {
                name: {dag: [edges, list(tags)] for dag, (edges, tags) in by_dag.items()}
                for name, by_dag in AIRFLOWS[case].items()
            }
            env = {"PATH": os.environ.get("PATH", ""), "AIRFLOW_USER": "u"}
            ran = subprocess.run(
                [python, "-c", CHILD, str(root), str(root / MODULES[case]), json.dumps(dags)],
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
            )
        if ran.returncode:
            print(f"{case}: failed\n{ran.stderr[-2000:]}")
            differ += 1
            continue
        real = {k: set(v) for k, v in json.loads(ran.stdout.splitlines()[-1]).items()}
        same = real == ORIGINAL[case]
        differ += not same
        print(f"{case}: {'same' if same else f'differs: {real} != {ORIGINAL[case]}'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
