"""Zero-code mode: a cluster policy that proxies every DAG with a proxied-state file.

In ``$AIRFLOW_HOME/config/airflow_local_settings.py`` (or anywhere on
``PYTHONPATH`` as ``airflow_local_settings``)::

    from airflow_side.policy import dag_policy  # noqa: F401

The folder is ``$AIRLIFT_PROXIED_STATE_DIR`` when set, else ``proxied_state/``
next to the DAG file. DAG files that already call ``proxying_to_dagster`` are
left as they are. Only DAGs that proxy something are tagged (``airlift:proxied``
or ``airlift:proxied_tasks=<N>`` with N > 0): a state file that proxies nothing,
as ``airlift scaffold`` writes for every DAG, changes nothing visible.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow_side.proxied_state import AirflowProxiedState
from airflow_side.proxying import pick_builders, proxy_dag

STATE_DIR_ENV = "AIRLIFT_PROXIED_STATE_DIR"


def state_dir_for(dag: Any) -> Path | None:
    """Where the proxied-state files for ``dag`` live."""
    configured = os.environ.get(STATE_DIR_ENV)
    if configured:
        return Path(configured)
    fileloc = getattr(dag, "fileloc", None)
    return Path(fileloc).parent / "proxied_state" if fileloc else None


def dag_policy(dag: Any) -> None:
    """Airflow cluster policy: proxy ``dag`` when its proxied-state file says so."""
    directory = state_dir_for(dag)
    if directory is None:
        return
    state = AirflowProxiedState(directory=directory).get(dag.dag_id) if directory.is_dir() else None
    if state is None:
        return
    task_fn, dag_fn = pick_builders(None, None, None, None)
    proxy_dag(dag, state, build_from_task_fn=task_fn, build_from_dag_fn=dag_fn, tag_unproxied=False)
