"""Airflow's identifiers as both formats accept them: DAG ids and task ids.

``airlift.yaml`` maps DAGs and tasks by these ids and proxied-state files list
them, so the patterns live below both formats.
"""

from __future__ import annotations

DAG_ID_PATTERN = r"^[A-Za-z0-9_.\-]+$"
TASK_ID_PATTERN = r"^[A-Za-z0-9_.\-]+$"
