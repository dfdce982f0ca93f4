"""Definitions from ``airlift.yaml`` and its Airflow state file.

:func:`defs_from_state` is what every load does, in the component and in plain
Python: it reads ``airlift.yaml`` and builds from a state already on disk, with
no REST call. :func:`build_defs` is the plain-Python entry point.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, get_args

import dagster as dg

from airlift_component.airflow_state.fetch import (
    ClientFactory,
    default_client_factory,
    fetch_state_file,
    instance_fingerprint,
)
from airlift_component.airflow_state.state import AirflowState
from airlift_component.airflow_state.state_file import (
    AirliftStateFile,
    default_state_file,
    read_state_file,
    write_state_file,
)
from airlift_component.airflow_state.ui_urls import dag_ui_url
from airlift_component.component.airflow_asset_specs import airflow_asset_specs
from airlift_component.component.asset_specs import instance_specs
from airlift_component.component.checks import CheckTarget, build_checks, freshness_sensor
from airlift_component.component.code_refs import CodeSite
from airlift_component.component.dagster_private import (
    DefinitionsLoadContext,
    DefinitionsLoadType,
    using_dagster_dev,
)
from airlift_component.component.decommission_schedule import decommissioned_definitions
from airlift_component.component.executable import executable_assets
from airlift_component.component.sensor import build_sensor
from airlift_component.component.task_code import expand_code_tasks
from airlift_component.config.airlift_yaml.instances import selected_instances
from airlift_component.config.airlift_yaml.load import (
    load_airlift_file,
    load_for_build,
    load_for_refresh,
)
from airlift_component.config.airlift_yaml.mapped_dags import BuildFile, MappedDags
from airlift_component.config.airlift_yaml.model import (
    AirliftFile,
    AssetSpecModel,
    Instance,
    dag_asset_key,
)
from airlift_component.redact import redact_url
from airlift_component.sensor.decommissioned import first_ticks

log = logging.getLogger("airlift_component")

Refresh = Literal["if_dev", "never", "if_missing", "always"]
#: Keys computed elsewhere: a ``Definitions``, or keys as ``AssetKey``, ``"a/b"`` text or
#: lists of parts, alone or in an iterable.
AssetKeys = dg.Definitions | dg.AssetKey | str | Iterable[dg.AssetKey | str | Sequence[str]]
REFRESH_HINT = "run `dg utils refresh-defs-state` (component) or `airlift refresh`"


def load_model(path: Path) -> AirliftFile:
    """``airlift.yaml``, checked and validated."""
    return load_airlift_file(path)


def load_for_state(path: Path) -> tuple[AirliftFile, dict[str, Any] | None]:
    """``airlift.yaml`` for a refresh, as :func:`load_model`, and what the state it
    writes carries of the file (:mod:`airlift_component.config.airlift_yaml.shipped`)."""
    return load_for_refresh(path)


def load_for_defs(path: Path, state: AirliftStateFile | None = None) -> BuildFile:
    """``airlift.yaml`` for the build, reusing the checked mappings ``state`` carries
    when the file is unchanged since its refresh (each spec-only DAG mapping then
    validated when its specs are built)."""
    return load_for_build(path, shipped=state.airlift_yaml if state is not None else None)


def usable_state(
    read: Callable[[], AirliftStateFile | None], where: str
) -> AirliftStateFile | None:
    """The stored state ``read`` returns, or ``None`` when it cannot be used (written by
    another version, corrupt, not a file): logged as an error naming ``where``, and the
    definitions load as without state (each instance's mapped assets) rather than the
    whole code location failing."""
    from airlift_component.airflow_state.state import StateFileError

    try:
        return read()
    except StateFileError as exc:
        log.error(
            "the Airflow state in %s cannot be used (%s); loading without it: only the "
            "assets mapped in airlift.yaml are defined until you %s",
            where,
            exc,
            REFRESH_HINT,
        )
        return None


def _for_sensor(instance: Instance, state: AirflowState) -> Instance:
    # The sensor works from the index, not the mappings: without them the (large)
    # validated model is freed once the definitions are built. The stored API
    # version spares the sensor a detection call per new client.
    update: dict[str, object] = {"mappings": []}
    if instance.api == "auto" and state.api_version in ("v1", "v2"):
        update["api"] = state.api_version
    return instance.model_copy(update=update)


def _state_for(
    instance: Instance, mapped: MappedDags, state: AirliftStateFile | None, where: str
) -> AirflowState:
    found = state.instances.get(instance.name) if state else None
    if found is None:
        log.warning(
            "instance %r: %s holds no Airflow state for it; only the assets mapped in "
            "airlift.yaml are defined, without Airflow's task graph. To see every DAG, %s",
            instance.name,
            where,
            REFRESH_HINT,
        )
        return AirflowState(
            instance=instance.name,
            url=redact_url(instance.url),
            # Unknown until fetched: the sensor's client detects it (see _for_sensor).
            api_version=instance.api if instance.api in ("v1", "v2") else "",
            airflow_version="",
            fetched_at=datetime.fromtimestamp(0, timezone.utc),
            fingerprint="",
        )
    if found.fingerprint != instance_fingerprint(instance, mapped.dags):
        log.warning(
            "instance %r: its url, api, dags filter or mapped DAGs changed in airlift.yaml "
            "since the Airflow state was fetched (%s); the definitions may lack DAGs or tasks "
            "until you %s",
            instance.name,
            found.fetched_at.isoformat(timespec="seconds"),
            REFRESH_HINT,
        )
    return found


def _instance_defs(
    instance: Instance,
    mapped: MappedDags,
    state: AirflowState,
    path: Path,
    defined_elsewhere: set[dg.AssetKey],
    client_factory: ClientFactory,
) -> dg.Definitions:
    """One instance's definitions. ``instance.mappings`` holds at least every mapping
    that is not spec-only (what the passes over the whole instance read: ``code:``,
    ``checks:``, ``decommissioned:``); ``mapped`` has every mapped DAG."""
    missing = [dag_id for dag_id in mapped.dags if dag_id not in state.dags]
    if state.airflow_version:
        for dag_id in missing:
            log.warning(
                "instance %r: DAG %r is mapped in %s but Airflow does not list it (removed, "
                "renamed or filtered out?); its assets are kept, run `airlift drift` to review",
                instance.name,
                dag_id,
                path,
            )
    urls = {
        dag_id: dag_ui_url(state.url, state.api_version, dag_id)
        for dag_id in [*state.dags, *missing]
    }
    found = _declared(instance, str(path))
    if found.code_tasks:
        instance = expand_code_tasks(instance, found.code_tasks, str(path), found.loaded)
        found = _declared(instance, str(path), found.loaded)
    specs, index = instance_specs(instance, state, urls, mapped)
    specs, airflow_assets = airflow_asset_specs(instance, state, specs, index, str(path))
    by_key = {spec.key: spec for spec in specs}
    assets: list[dg.AssetSpec | dg.AssetsDefinition] = [
        spec for spec in specs if spec.key not in found.refs and spec.key not in defined_elsewhere
    ]
    assets += executable_assets(found.refs, by_key, found.loaded)
    state_dir = path.parent / instance.proxied_state_dir if instance.proxied_state_dir else None
    sensors = [
        build_sensor(
            _for_sensor(instance, state),
            index,
            state,
            proxied_state_dir=state_dir,
            client_factory=client_factory,
            airflow_assets=airflow_assets,
            run_asset_checks=instance.sensor.run_asset_checks,
            decommissioned=first_ticks(instance.mappings),
        )
    ]
    checks: list[dg.AssetChecksDefinition] = []
    if found.checks:
        schedules = {dag_id: dag.dag.schedule for dag_id, dag in state.dags.items()}
        freshness, checks = build_checks(found.checks, schedules)
        if freshness:
            running = instance.sensor.default_status == "running"
            sensors.append(freshness_sensor(instance.name, freshness, running))
        checks += freshness
    assets, replaced, automation = decommissioned_definitions(instance, index, found.refs, assets)
    return _definitions(assets, [*sensors, *automation], checks, replaced)


@dataclass
class _Declared:
    """What one instance's mappings ask of Dagster code, found in one pass."""

    refs: dict[dg.AssetKey, tuple[str, CodeSite]] = field(default_factory=dict)
    checks: list[CheckTarget] = field(default_factory=list)
    code_tasks: list[str] = field(default_factory=list)
    loaded: dict[str, dg.AssetsDefinition] = field(default_factory=dict)


def _declared(
    instance: Instance, path: str, loaded: dict[str, dg.AssetsDefinition] | None = None
) -> _Declared:
    """The ``code:`` references, ``checks:`` and DAGs with a task mapped by ``code:``."""
    found = _Declared(loaded={} if loaded is None else loaded)
    name = instance.name
    for mapping in instance.mappings:
        dag = mapping.dag
        if mapping.checks:
            key = dg.AssetKey(dag_asset_key(name, dag))
            found.checks.append(CheckTarget(key, dag, mapping.checks, CodeSite(path, name, dag)))
        for model in mapping.assets:
            if model.code or model.checks:
                _declare(found, model, CodeSite(path, name, dag, None, model.key))
        code_task = False
        for task in mapping.tasks:
            if task.code is not None:
                code_task = True
            for model in task.assets:
                if model.code or model.checks:
                    _declare(found, model, CodeSite(path, name, dag, task.task, model.key))
                if task.checks:
                    key = dg.AssetKey(model.key.split("/"))
                    site = CodeSite(path, name, dag, task.task)
                    found.checks.append(CheckTarget(key, dag, task.checks, site))
        if code_task:
            found.code_tasks.append(dag)
    return found


def _declare(found: _Declared, model: AssetSpecModel, site: CodeSite) -> None:
    key = dg.AssetKey(model.key.split("/"))
    if model.code:
        found.refs[key] = (model.code, site)
    if model.checks:
        found.checks.append(CheckTarget(key, site.dag, model.checks, site))


def _definitions(
    assets: list[dg.AssetSpec | dg.AssetsDefinition],
    sensors: list[dg.SensorDefinition],
    checks: list[dg.AssetChecksDefinition],
    schedules: list[dg.ScheduleDefinition],
) -> dg.Definitions:
    # Its own frame: Dagster's records keep the locals of the frame that first
    # constructs one, which must not be the caller's (the whole validated model).
    return dg.Definitions(
        assets=assets, sensors=sensors, asset_checks=checks or None, schedules=schedules or None
    )


def defs_from_state(
    path: Path,
    state: AirliftStateFile | None,
    *,
    where: str,
    instances: Sequence[str] | None = None,
    defined_elsewhere: AssetKeys = (),
    client_factory: ClientFactory | None = None,
    model: AirliftFile | None = None,
) -> dg.Definitions:
    """Definitions for ``path`` (an absolute ``airlift.yaml``) from ``state``; no REST call.

    ``where`` names the state's origin in warnings. An instance missing from the
    state still gets its mapped assets, with a warning that says how to refresh.
    ``client_factory`` is what the sensors use on their ticks. ``model`` is
    ``path`` already loaded (by a refresh in the same call), else it is loaded.
    """
    if isinstance(instances, str) or (instances is not None and not instances):
        raise ValueError(
            f"instances={instances!r}: give a list of instance names, e.g. ['prod'], "
            "or None for every instance of the file"
        )
    built = BuildFile.of(model) if model is not None else load_for_defs(path, state)
    elsewhere = _asset_keys(defined_elsewhere)
    factory = client_factory or default_client_factory
    parts = []
    for instance in selected_instances(built.model, instances, path):
        mapped = built.mapped[instance.name]
        found = _state_for(instance, mapped, state, where)
        parts.append(_instance_defs(instance, mapped, found, path, elsewhere, factory))
    return dg.Definitions.merge(*parts)


def _asset_keys(given: AssetKeys) -> set[dg.AssetKey]:
    """``defined_elsewhere`` as asset keys: a ``Definitions``, or keys given as
    ``AssetKey``, ``"a/b"`` text or a list of parts, alone or in an iterable."""
    if isinstance(given, dg.Definitions):
        return set(given.resolve_all_asset_keys())
    if isinstance(given, dg.AssetKey | str):
        given = [given]
    keys: set[dg.AssetKey] = set()
    for item in given if isinstance(given, Iterable) else [given]:
        if isinstance(item, dg.AssetKey):
            keys.add(item)
        elif isinstance(item, str):
            keys.add(dg.AssetKey(item.split("/")))
        elif isinstance(item, list | tuple) and item and all(isinstance(p, str) for p in item):
            keys.add(dg.AssetKey(list(item)))
        else:
            raise TypeError(
                f"defined_elsewhere: {item!r} is not an asset key (give AssetKey, 'a/b' "
                "text, a list of parts, or a Definitions)"
            )
    return keys


def build_defs(
    airlift_yaml: str | Path,
    *,
    instances: Sequence[str] | None = None,
    state_file: str | Path | None = None,
    refresh: Refresh = "if_dev",
    defined_elsewhere: AssetKeys = (),
    client_factory: ClientFactory | None = None,
) -> dg.Definitions:
    """Definitions for every instance of ``airlift_yaml`` (or those named in ``instances``).

    The Airflow state is read from ``state_file`` (default ``.airlift/state.json``
    next to ``airlift.yaml``; ``airlift refresh`` writes it). ``refresh`` decides
    when this call asks Airflow:

    - ``"if_dev"`` (the default): like the component's ``refresh_if_dev``, only
      when the code location is first loaded under ``dagster dev`` / ``dg dev``;
      everywhere else (a code server, the daemon, a run worker) never;
    - ``"never"``: no state is a warning that says how to refresh, not a fetch;
    - ``"if_missing"``: only when there is no state file yet;
    - ``"always"``: at every call.

    A failed refresh keeps the last good state and logs the error (with no last
    good state it raises, except under ``dagster dev``, where the DAGs' mapped
    assets are still defined and the warning says how to refresh).

    ``defined_elsewhere`` lists asset keys (``AssetKey``, ``"a/b"`` text or lists
    of parts) or gives a ``Definitions``, computed by other code in the same code
    location, e.g. a dbt project: no spec is emitted for them, so the keys are not
    defined twice. ``instances`` is a list of instance names (``None``: all).
    A stored state that cannot be used (another version's, corrupt) is logged as
    an error and treated as missing. See
    :class:`~airlift_component.component.component.AirliftComponent` for everything
    the definitions contain.
    """
    if refresh not in get_args(Refresh):
        raise ValueError(
            f"build_defs: refresh={refresh!r} is not one of "
            + ", ".join(repr(choice) for choice in get_args(Refresh))
        )
    path = Path(airlift_yaml).resolve()
    target = Path(state_file).resolve() if state_file is not None else default_state_file(path)
    state = usable_state(lambda: read_state_file(target), str(target))
    in_dev = refresh == "if_dev" and first_load_in_dev()
    # A refresh loads airlift.yaml first; the build reuses that model rather than
    # validating the file again (cold build at 1,000 DAGs x 10 tasks: ~0.15 s CPU).
    model = None
    if in_dev or refresh == "always" or (refresh == "if_missing" and state is None):
        model, shipped = load_for_state(path)
        state = refresh_or_keep(
            model, target, state, client_factory, shipped=shipped, raise_without_state=not in_dev
        )
    return defs_from_state(
        path,
        state,
        where=str(target),
        instances=instances,
        defined_elsewhere=defined_elsewhere,
        client_factory=client_factory,
        model=model,
    )


def refresh_or_keep(
    model: AirliftFile,
    target: Path,
    last_good: AirliftStateFile | None,
    client_factory: ClientFactory | None,
    *,
    shipped: dict[str, Any] | None = None,
    raise_without_state: bool = True,
) -> AirliftStateFile | None:
    """Refresh ``target`` from Airflow for the instances of ``model`` (the state
    carrying ``shipped``, see :func:`load_for_state`); on failure log why and keep
    ``last_good`` (with none, raise unless ``raise_without_state`` is false)."""
    from airlift_component.airflow_state.state import StateFileError

    try:
        state = fetch_state_file(model.instances, client_factory)
        state = replace(state, airlift_yaml=shipped)
        write_state_file(target, state)
        return state
    except StateFileError as exc:
        if last_good is None and raise_without_state:
            raise
        log.warning("Airflow state refresh failed: %s", exc)
        return last_good


def first_load_in_dev() -> bool:
    """True while ``dagster dev`` / ``dg dev`` first loads the code location (not in
    its run workers, which reconstruct it)."""
    return (
        using_dagster_dev()
        and DefinitionsLoadContext.get().load_type == DefinitionsLoadType.INITIALIZATION
    )
