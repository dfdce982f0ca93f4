"""Which DAGs an instance peers: its ``dags: {include, exclude, tags}`` settings.

The server narrows the listing where its API can (``dag_id_pattern`` for a
single include glob, ``tags``); the globs are then applied exactly, here, with
:func:`fnmatch.fnmatchcase` (case-sensitive, as DAG ids are).
"""

from __future__ import annotations

import fnmatch

from airlift_component.airflow_api.endpoints import glob_to_like
from airlift_component.airflow_api.types import AirflowDag
from airlift_component.config.airlift_yaml.model import DagFilter


def server_side(rules: DagFilter) -> tuple[str | None, list[str]]:
    """The ``dag_id_pattern`` (or ``None``) and ``tags`` to send with the listing."""
    pattern = glob_to_like(rules.include[0]) if len(rules.include) == 1 else None
    return pattern, list(rules.tags)


def selected(rules: DagFilter, dag: AirflowDag) -> bool:
    """True when ``dag`` matches an include glob, no exclude glob and (if set) a tag."""
    if not any(fnmatch.fnmatchcase(dag.dag_id, glob) for glob in rules.include):
        return False
    if any(fnmatch.fnmatchcase(dag.dag_id, glob) for glob in rules.exclude):
        return False
    return not rules.tags or bool(set(rules.tags) & set(dag.tags))
