"""The example's Dagster code: the assets of the Airflow tasks being migrated.

The business logic is the ``example_work`` package that ships with the DAGs
(``example_project/airflow/dags/example_work``); both schedulers call it. In
your own project you would install it as a library on both sides; here we put
the DAGs folder on ``sys.path`` so the example runs straight from the checkout.
"""

from __future__ import annotations

import sys
from pathlib import Path

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "airflow" / "dags"
AIRLIFT_YAML = Path(__file__).resolve().parents[2] / "airlift.yaml"

if str(DAGS_FOLDER) not in sys.path:
    sys.path.append(str(DAGS_FOLDER))
