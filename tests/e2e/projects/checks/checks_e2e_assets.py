"""Dagster code for the acceptance-check e2e: the Dagster version of task ``load`` and a
user's ``@asset_check`` on its asset, as a team writes them before a flip.

The check's verdict is the content of the file ``$CHECKS_E2E_VERDICT`` ("pass" or
anything else), so the test decides whether what it judges is acceptable.
Importable as ``checks_e2e_assets`` with this folder on ``PYTHONPATH``.
"""

import os
from pathlib import Path

import dagster as dg

KEY = dg.AssetKey(["checks", "loaded"])


@dg.asset(key=KEY)
def checks_loaded(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    run_tags = context.run.tags
    return dg.MaterializeResult(metadata={"airflow_task": run_tags.get("airlift/airflow_task_id")})


@dg.asset_check(asset=KEY)
def loaded_ok() -> dg.AssetCheckResult:
    verdict = Path(os.environ["CHECKS_E2E_VERDICT"]).read_text().strip()
    return dg.AssetCheckResult(passed=verdict == "pass", metadata={"verdict": verdict})
