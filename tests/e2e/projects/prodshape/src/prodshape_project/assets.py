"""The Dagster code of the proxied task ``prodshape_dag.load``.

It records where it ran (this module's file: the run's own copy of the project)
and which assets its process's definitions hold (the state version it loaded),
then waits until the test releases it, so the run is in flight while Airflow
changes and the code location is refreshed and reloaded.
"""

import json
import os
import time
from pathlib import Path

import dagster as dg

RELEASE_TIMEOUT = 300.0


@dg.asset(key=["prodshape", "loaded"])
def loaded(context: dg.AssetExecutionContext) -> None:
    out = Path(os.environ["PRODSHAPE_OUT"])
    keys = context.repository_def.asset_graph.get_all_asset_keys()
    record = {
        "run_id": context.run_id,
        "module_file": __file__,
        "asset_keys": sorted(key.to_user_string() for key in keys),
    }
    (out / f"{context.run_id}.started.json").write_text(json.dumps(record))
    release = out / "release"
    deadline = time.monotonic() + RELEASE_TIMEOUT
    while not release.exists():  # the test's signal, polled
        if time.monotonic() > deadline:
            raise RuntimeError(f"{release} never appeared")
        time.sleep(0.1)
