"""What generated asset modules call when they run: the Airflow run they stand for.

No Dagster and no Airflow here: the generated module passes its Dagster run's
tags and id in, and gets an :class:`AirflowRun` back, with the logical date,
data interval, params and XComs of the Airflow run that launched it (read from
Airflow's REST API), or, for a run launched from Dagster alone, the values
:func:`airflow_run` documents.
"""

from __future__ import annotations

from airlift_component.generate.runtime.airflow_run import AirflowRun, airflow_run, xcom_value
from airlift_component.generate.runtime.templates import TEMPLATE_NAMES, render_template

__all__ = ["TEMPLATE_NAMES", "AirflowRun", "airflow_run", "render_template", "xcom_value"]
