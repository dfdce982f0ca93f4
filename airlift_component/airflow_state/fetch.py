"""Fetching an instance's Airflow state, and the cache the component loads it from.

Loading a code location must not depend on Airflow answering, and must not cost
one REST call per DAG each time: the state (:mod:`.state`) is fetched once and
written to ``<cache_dir>/<instance>.json`` (default ``cache_dir``: ``.airlift/cache``
next to ``airlift.yaml``). :func:`load_state` reads the cache while it is fresh,
refetches when it is older than the TTL or when the instance's settings changed,
and falls back to a stale cache with a warning when Airflow is unreachable.

Imports no Dagster: ``airlift refresh`` and ``airlift drift`` use it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from airlift_component.airflow_state.state import (
    AirflowState,
    DagState,
    StateCacheError,
    read_state,
    write_state,
)
from airlift_component.errors import AirflowApiError

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient
    from airlift_component.config.airlift_model import Instance

log = logging.getLogger("airlift_component")

DEFAULT_CACHE_DIR = ".airlift/cache"
DEFAULT_TTL_SECONDS = 3600
#: Parallel task-list requests while fetching the state.
FETCH_THREADS = 8

ClientFactory = Callable[["Instance"], "AirflowClient"]


def instance_fingerprint(instance: Instance) -> str:
    """Changes whenever a setting that decides what is fetched changes."""
    relevant = {
        "url": instance.url,
        "api": instance.api,
        "dags": instance.dags.model_dump(),
        "mapped": sorted(mapping.dag for mapping in instance.mappings),
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def cache_directory(airlift_yaml: Path, cache_dir: str | Path | None = None) -> Path:
    """The component's cache folder; a relative ``cache_dir`` is relative to airlift.yaml."""
    directory = Path(cache_dir) if cache_dir is not None else Path(DEFAULT_CACHE_DIR)
    return directory if directory.is_absolute() else airlift_yaml.parent / directory


def cache_file(airlift_yaml: Path, instance: str, cache_dir: str | Path | None = None) -> Path:
    """Where an instance's state is cached (see :func:`cache_directory`)."""
    return cache_directory(airlift_yaml, cache_dir) / f"{instance}.json"


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
    return AirflowState(
        instance=instance.name,
        url=instance.url,
        api_version=api_version,
        airflow_version=airflow_version,
        fetched_at=datetime.now(timezone.utc),
        fingerprint=instance_fingerprint(instance),
        dags=dags,
    )


def default_client_factory(instance: Instance) -> AirflowClient:
    from airlift_component.airflow_api.client import AirflowClient

    return AirflowClient(instance)


def refresh_state(
    instance: Instance, path: Path, client_factory: ClientFactory | None = None
) -> AirflowState:
    """Fetch the instance's state now and write it to ``path``."""
    with (client_factory or default_client_factory)(instance) as client:
        state = fetch_state(client, instance)
    write_state(path, state)
    return state


def load_state(
    instance: Instance,
    path: Path,
    *,
    ttl_seconds: float | None = DEFAULT_TTL_SECONDS,
    client_factory: ClientFactory | None = None,
    now: datetime | None = None,
) -> AirflowState:
    """The instance's state for building definitions.

    The cache is used without any REST call while it is younger than
    ``ttl_seconds`` (``None``: never refetch while a cache exists) and was
    fetched with the instance's current settings. Otherwise the state is
    refetched and cached; when that fails, a cache of any age is used with a
    warning, and without a cache :class:`StateCacheError` names the URL.
    """
    now = now or datetime.now(timezone.utc)
    try:
        cached = read_state(path)
    except StateCacheError as exc:
        log.warning("%s", exc)
        cached = None
    if cached is not None and cached.fingerprint == instance_fingerprint(instance):
        fresh = ttl_seconds is None or cached.age_seconds(now) < ttl_seconds
        if fresh:
            return cached
    try:
        return refresh_state(instance, path, client_factory)
    except AirflowApiError as exc:
        if cached is None:
            raise StateCacheError(
                f"instance {instance.name!r}: Airflow at {instance.url} could not be reached "
                f"and there is no cached state at {path}. {exc} "
                "Start Airflow (or fix the url/auth in airlift.yaml), or run "
                "`airlift refresh` once it is reachable."
            ) from None
        log.warning(
            "instance %r: Airflow at %s could not be reached (%s); using the cached state "
            "from %s (fetched %s)",
            instance.name,
            instance.url,
            exc,
            path,
            cached.fetched_at.isoformat(timespec="seconds"),
        )
        return cached
