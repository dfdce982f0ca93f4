"""Build one merged ``Definitions`` from ``airlift.yaml`` (the plain-Python entry)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from airlift_component.airflow_state.fetch import (
    DEFAULT_TTL_SECONDS,
    ClientFactory,
    cache_directory,
    cache_file,
    default_client_factory,
    load_state,
)
from airlift_component.airflow_state.state import AirflowState
from airlift_component.airflow_state.ui_urls import dag_ui_url
from airlift_component.component.asset_specs import instance_specs
from airlift_component.component.executable import executable_assets
from airlift_component.component.sensor import build_sensor
from airlift_component.config.airlift_load import load_airlift_file
from airlift_component.config.airlift_model import Instance
from airlift_component.config.checked_cache import CHECKED_CACHE_NAME
from airlift_component.config.instances import selected_instances

if TYPE_CHECKING:
    pass

log = logging.getLogger("airlift_component")


def _for_sensor(instance: Instance, state: AirflowState) -> Instance:
    # The sensor works from the index, not the mappings: without them the (large)
    # validated model is freed once the definitions are built. The cached API
    # version spares the sensor a detection call per new client.
    update: dict[str, object] = {"mappings": []}
    if instance.api == "auto" and state.api_version in ("v1", "v2"):
        update["api"] = state.api_version
    return instance.model_copy(update=update)


def _instance_defs(
    instance: Instance,
    state: AirflowState,
    path: Path,
    defined_elsewhere: set[dg.AssetKey],
    client_factory: ClientFactory,
) -> dg.Definitions:
    missing = [m.dag for m in instance.mappings if m.dag not in state.dags]
    for dag_id in missing:
        log.warning(
            "instance %r: DAG %r is mapped in %s but Airflow does not list it (removed, renamed "
            "or filtered out?); its assets are kept, run `airlift drift` to review",
            instance.name,
            dag_id,
            path,
        )
    urls = {
        dag_id: dag_ui_url(instance.url, state.api_version, dag_id)
        for dag_id in [*state.dags, *missing]
    }
    specs, index = instance_specs(instance, state, urls)
    refs = {
        dg.AssetKey(model.key.split("/")): model.code
        for mapping in instance.mappings
        for model in [*mapping.assets, *(a for t in mapping.tasks for a in t.assets)]
        if model.code
    }
    by_key = {spec.key: spec for spec in specs}
    assets: list[dg.AssetSpec | dg.AssetsDefinition] = [
        spec for spec in specs if spec.key not in refs and spec.key not in defined_elsewhere
    ]
    assets += executable_assets(refs, by_key, str(path))
    state_dir = path.parent / instance.proxied_state_dir if instance.proxied_state_dir else None
    sensor = build_sensor(
        _for_sensor(instance, state),
        index,
        state,
        proxied_state_dir=state_dir,
        client_factory=client_factory,
    )
    return _definitions(assets, sensor)


def _definitions(
    assets: list[dg.AssetSpec | dg.AssetsDefinition], sensor: dg.SensorDefinition
) -> dg.Definitions:
    # Its own frame: Dagster's records keep the locals of the frame that first
    # constructs one, which must not be the caller's (the whole validated model).
    return dg.Definitions(assets=assets, sensors=[sensor])


def build_defs(
    airlift_yaml: str | Path,
    *,
    instances: Sequence[str] | None = None,
    cache_dir: str | Path | None = None,
    cache_ttl_seconds: float | None = DEFAULT_TTL_SECONDS,
    defined_elsewhere: Iterable[dg.AssetKey] | dg.Definitions = (),
    client_factory: ClientFactory | None = None,
) -> dg.Definitions:
    """Definitions for every instance of ``airlift_yaml`` (or those named in ``instances``).

    ``defined_elsewhere`` lists asset keys (or a ``Definitions``) computed by other
    code in the same code location, e.g. a dbt project: no spec is emitted for
    them, so the keys are not defined twice. See
    :class:`~airlift_component.component.component.AirliftComponent` for everything
    the definitions contain.
    """
    return _build_defs(
        Path(airlift_yaml).resolve(),
        instances,
        cache_dir,
        cache_ttl_seconds,
        defined_elsewhere,
        client_factory or default_client_factory,
    )


def _build_defs(
    path: Path,
    instances: Sequence[str] | None,
    cache_dir: str | Path | None,
    cache_ttl_seconds: float | None,
    defined_elsewhere: Iterable[dg.AssetKey] | dg.Definitions,
    factory: ClientFactory,
) -> dg.Definitions:
    checked = cache_directory(path, cache_dir) / CHECKED_CACHE_NAME
    model = load_airlift_file(path, cross_file=False, checked_cache=checked)
    if isinstance(defined_elsewhere, dg.Definitions):
        elsewhere = set(defined_elsewhere.resolve_all_asset_keys())
    else:
        elsewhere = set(defined_elsewhere)
    parts = []
    for instance in selected_instances(model, instances, path):
        state = load_state(
            instance,
            cache_file(path, instance.name, cache_dir),
            ttl_seconds=cache_ttl_seconds,
            client_factory=factory,
        )
        parts.append(_instance_defs(instance, state, path, elsewhere, factory))
    return dg.Definitions.merge(*parts)
