"""Fetching the Airflow state of the instances of an ``airlift.yaml``: the refresh.

A refresh is the only thing that asks Airflow for the state the definitions are
built from. ``dg utils refresh-defs-state`` (through
:meth:`AirliftComponent.write_state_to_path`), ``airlift refresh`` and, in
development, ``dagster dev`` / ``dg dev`` call :func:`refresh_state_file`; loading
definitions only reads the file (:mod:`.state_file`). A refresh is all or nothing:
when one instance cannot be read nothing is written, so the last good state stays,
and :class:`StateFileError` names the instance, its URL (without credentials) and
the fix.

Imports no Dagster: ``airlift refresh`` and ``airlift drift`` use it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from airlift_component.airflow_state.airflow_assets import fetch_airflow_assets
from airlift_component.airflow_state.state import AirflowState, DagState, StateFileError
from airlift_component.airflow_state.state_file import AirliftStateFile, write_state_file
from airlift_component.errors import AirflowApiError
from airlift_component.redact import redact_url

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient
    from airlift_component.config.airlift_yaml.model import Instance

#: Parallel task-list requests while fetching one instance: as many as the worker
#: processes Airflow's web/API server starts by default (4, on Airflow 2 and 3), which
#: serve them; more only queue there and cost the client CPU in thread switches
#: (1,011 calls to bench/compare's fake server: 4.14 s CPU for the cold build with 4
#: threads, 4.38 s with 8, medians of 5, same wall time).
FETCH_THREADS = 4

ClientFactory = Callable[["Instance"], "AirflowClient"]


def instance_fingerprint(instance: Instance, mapped: Iterable[str] | None = None) -> str:
    """Changes whenever a setting that decides what is fetched changes. ``mapped``: the
    instance's mapped DAG ids, when ``instance.mappings`` does not hold every mapping
    (the definitions build's view: :mod:`airlift_component.config.airlift_yaml.mapped_dags`)."""
    dag_ids = (m.dag for m in instance.mappings) if mapped is None else mapped
    relevant = {
        "url": redact_url(instance.url),
        "api": instance.api,
        "dags": instance.dags.model_dump(),
        "mapped": sorted(dag_ids),
    }
    if instance.airflow_assets.enabled:  # absent when off: older fingerprints stay valid
        relevant["airflow_assets"] = ["enabled"]
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def fetch_state(
    client: AirflowClient, instance: Instance, dag_ids_with_tasks: Iterable[str] | None = None
) -> AirflowState:
    """Ask Airflow for the DAGs of ``instance`` and the tasks of its mapped DAGs."""
    api_version = client.api_version()
    airflow_version = client.airflow_version()
    dags = {dag.dag_id: DagState(dag) for dag in client.list_dags()}
    wanted = (
        {mapping.dag for mapping in instance.mappings}
        if dag_ids_with_tasks is None
        else set(dag_ids_with_tasks)
    )
    present = sorted(dag_id for dag_id in wanted if dag_id in dags)
    # One request per DAG (Airflow has no batch task endpoint); the client is thread-safe.
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        for dag_id, tasks in zip(present, pool.map(client.list_tasks, present), strict=True):
            dags[dag_id] = DagState(dags[dag_id].dag, tuple(tasks))
    enabled = instance.airflow_assets.enabled
    return AirflowState(
        instance=instance.name,
        url=redact_url(instance.url),
        api_version=api_version,
        airflow_version=airflow_version,
        fetched_at=datetime.now(timezone.utc),
        fingerprint=instance_fingerprint(instance),
        dags=dags,
        airflow_assets=fetch_airflow_assets(client, dags) if enabled else None,
    )


def default_client_factory(instance: Instance) -> AirflowClient:
    from airlift_component.airflow_api.client import AirflowClient

    return AirflowClient(instance)


def fetch_state_file(
    instances: Sequence[Instance], client_factory: ClientFactory | None = None
) -> AirliftStateFile:
    """Fetch every instance; :class:`StateFileError` (naming the first that failed) or all."""
    factory = client_factory or default_client_factory
    states: dict[str, AirflowState] = {}
    for instance in instances:
        try:
            with factory(instance) as client:
                states[instance.name] = fetch_state(client, instance)
        except AirflowApiError as exc:
            raise StateFileError(
                f"instance {instance.name!r} (Airflow at {redact_url(instance.url)}): "
                f"{_cause(exc, instance.name)} Nothing was written; the last good state "
                "stays in use. Start Airflow (or fix the url/auth in airlift.yaml), then "
                "refresh again."
            ) from None
    return AirliftStateFile(fetched_at=datetime.now(timezone.utc), instances=states)


def _cause(exc: AirflowApiError, name: str) -> str:
    """The client's message without its own "Airflow instance 'x': " (the refresh
    message names the instance already), ending in a full stop."""
    cause = str(exc).removeprefix(f"Airflow instance {name!r}: ")
    return cause if cause.endswith(".") else f"{cause}."


def refresh_state_file(
    instances: Sequence[Instance], path: Path, client_factory: ClientFactory | None = None
) -> AirliftStateFile:
    """Fetch every instance and write the state file at ``path`` (atomically, only if all succeed)."""
    state = fetch_state_file(instances, client_factory)
    write_state_file(path, state)
    return state
