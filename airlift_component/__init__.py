"""airlift-component: observe Airflow DAGs in Dagster and migrate them task by task.

Packages, from the ground up (``docs/architecture.md`` draws them):

* :mod:`airlift_component.config`: the ``airlift.yaml`` and proxied-state formats,
  reading, checking and editing them;
* :mod:`airlift_component.airflow_api` / :mod:`airlift_component.dagster_api`:
  the REST and GraphQL clients;
* :mod:`airlift_component.airflow_state`: what the CLI, the component and the
  sensor share about Airflow (the fetched state, the task graph, the cursor);
* :mod:`airlift_component.component`: the Dagster component (needs ``[dagster]``);
* :mod:`airlift_component.cli`: the ``airlift`` command.

Importing this package imports neither Dagster nor Airflow. The Dagster entry
points live in :mod:`airlift_component.component`.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
