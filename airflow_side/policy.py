"""Zero-code mode: a cluster policy that proxies every DAG with a proxied-state file.

In ``$AIRFLOW_HOME/config/airflow_local_settings.py`` (or anywhere on
``PYTHONPATH`` as ``airflow_local_settings``)::

    from airflow_side.policy import dag_policy  # noqa: F401

The folder is ``$AIRLIFT_PROXIED_STATE_DIR`` when set, else ``proxied_state/``
next to the DAG file. DAG files that already call ``proxying_to_dagster`` are
left as they are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow_side.proxied_state import AirflowProxiedState, load_proxied_state_from_yaml
from airflow_side.proxying import _pick_builders, proxy_dag

STATE_DIR_ENV = "AIRLIFT_PROXIED_STATE_DIR"
_cache: dict[Path, tuple[tuple[tuple[str, int], ...], AirflowProxiedState]] = {}


def _signature(directory: Path) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((entry.name, entry.stat().st_mtime_ns) for entry in os.scandir(directory)))


def _state_for(directory: Path) -> AirflowProxiedState | None:
    if not directory.is_dir():
        return None
    signature = _signature(directory)
    cached = _cache.get(directory)
    if cached is None or cached[0] != signature:
        cached = (signature, load_proxied_state_from_yaml(directory))
        _cache[directory] = cached
    return cached[1]


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
    proxied_state = _state_for(directory)
    state = proxied_state.get(dag.dag_id) if proxied_state is not None else None
    if state is None:
        return
    task_fn, dag_fn = _pick_builders(None, None, None, None)
    proxy_dag(dag, state, build_from_task_fn=task_fn, build_from_dag_fn=dag_fn)
