"""The ``AirliftComponent``: Airflow DAGs and their assets in a Dagster code location."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Self

import dagster as dg
from dagster.components import DefsStateConfig, DefsStateConfigArgs, ResolvedDefsStateConfig
from pydantic import BaseModel, Field, PrivateAttr

from airlift_component.airflow_state.fetch import fetch_state_file
from airlift_component.airflow_state.state import StateFileError
from airlift_component.airflow_state.state_file import read_state_file, write_state_file
from airlift_component.airflow_state.state_location import default_state_key
from airlift_component.component.dagster_private import (
    DefinitionsLoadContext,
    DefsStateManagementType,
    DefsStateStorage,
)
from airlift_component.component.defs_builder import (
    defs_from_state,
    first_load_in_dev,
    load_for_state,
    usable_state,
)
from airlift_component.errors import UsageError

log = logging.getLogger("airlift_component")


class AirliftComponent(dg.StateBackedComponent, dg.Model, dg.Resolvable):
    """Observe Airflow DAGs in Dagster, and migrate them task by task.

    Point it at an ``airlift.yaml`` next to this ``defs.yaml``::

        type: airlift_component.component.AirliftComponent
        attributes:
          airlift_yaml: airlift.yaml     # relative to this folder
          instances: [analytics]         # optional: only these instances
          defs_state:                    # optional: where the Airflow state lives
            management_type: VERSIONED_STATE_STORAGE

    **Airflow state (a state-backed component).** The DAG list, the tasks of
    mapped DAGs and the API version of every instance of ``airlift.yaml`` are one
    state document (format: :mod:`airlift_component.airflow_state.state_file`),
    kept in Dagster's defs-state storage under the key
    ``AirliftComponent[<airlift.yaml relative to the project root>]`` (set
    ``defs_state.key`` to choose another). Loading the code location — in the
    code server, a run worker or ``dg list defs`` — only reads that state: no
    REST call to Airflow. The state is fetched by ``dg utils refresh-defs-state``,
    by ``airlift refresh`` (the same file, without Dagster; local state only), and
    at each load under ``dagster dev`` / ``dg dev`` unless
    ``defs_state.refresh_if_dev`` is false. ``management_type``:
    ``LOCAL_FILESYSTEM`` (default; the file lives in the defs folder's
    ``.local_defs_state``, refresh while building the image) or
    ``VERSIONED_STATE_STORAGE`` (``defs_state_storage`` in ``dagster.yaml``, e.g.
    S3 or GCS; runs load the exact version their code server used). A refresh
    that cannot read every instance writes nothing and fails with an error naming
    the instance and its URL; under ``dagster dev`` the error is logged and the
    last good state stays in use. With no state yet, each instance's mapped assets
    are still defined, with a warning saying how to refresh.

    **What it defines, per Airflow instance** (merged into one ``Definitions``):

    * one asset per peered DAG, key ``<instance>/dag/<dag_id>``, kinds
      ``airflow`` and ``dag``, with the DAG's URL in Airflow (metadata
      ``airlift/dag_url``; never with ``user:password@``), description, owners
      (those that are e-mails or ``team:`` names; all of them in metadata
      ``airflow/owners``) and tags; it depends on the DAG's leaf mapped assets
      (the assets of mapped tasks with no mapped task downstream) and on the
      DAG-level assets; a mapped DAG's asset also lists each mapped task's asset
      keys in the JSON metadata ``airlift/task_assets``, which the proxy
      operators read to find them;
    * every asset mapped in ``airlift.yaml`` with its deps, group, owners, kinds,
      tags, description, metadata and time partitions. Without explicit ``deps``
      a task's assets depend on the assets of the nearest mapped tasks upstream
      in the Airflow task graph (unmapped tasks in between are looked through);
    * with ``airflow_assets: {enabled: true}`` on the instance, one asset per
      Airflow asset (Airflow 2 dataset) a peered DAG produces or is scheduled on,
      key ``<instance>/airflow_asset/<scheme>/<path parts>`` unless overridden in
      ``airflow_assets.keys``, between its producer task's assets and the assets
      of the DAGs scheduled on it (see ``docs/airflow-assets.md``);
    * the sensor ``airlift_<instance>_sensor`` recording Airflow runs (and, when
      enabled, Airflow's asset events) as materializations, exactly once (see
      below).

    Two instances may peer DAGs with the same id: every DAG key starts with
    the instance name.

    **How an asset records where it comes from.** Every mapped asset carries the
    tags ``airlift/instance: <instance>``, ``airlift/dag: <instance>.<dag_id>``
    and, for task assets, ``airlift/task: <instance>.<dag_id>.<task_id>``, and
    the metadata ``airlift/instance``, ``airlift/dag_id``, ``airlift/task_id``
    with the exact ids. The Airflow side finds a task's assets through the DAG
    asset's ``airlift/task_assets`` index, and by ``airlift/task`` without one.
    Values over Dagster's 63-character limit are shortened with a hash
    (:func:`airlift_component.mapping_tags.task_tag_value` computes them).

    **Executable assets (migration).** ``code: package.module:attr`` on a mapped
    asset names an ``@asset`` / ``@multi_asset`` that computes the key; it is
    used instead of the bare spec, with the mapping tags and metadata merged in.
    Keys computed by *other* components of the same code location (for example
    a dbt component) would be defined twice; list those components' folders in
    ``defer_to`` (paths relative to the ``defs`` folder) and no spec is emitted
    for the keys they define. Dagster refuses two definitions of one key, even a
    bare spec and an executable asset, so this is required. Add the mapping tags
    to those assets with the other component's ``post_processing`` so the Airflow
    side finds them.

    **Sensor.** Each tick lists the runs Airflow changed since the cursor's
    high-water mark (minus a 10-minute overlap), then their task instances, in
    batches (``sensor.batch_size`` runs per request), and records each
    successful task try once: its mapped assets are materialized, unless the
    try was proxied (its Dagster run made them; the proxies' Dagster runs are
    found by their ``airlift/airflow_*`` tags, else the operator Airflow
    recorded decides). A successful run also materializes the DAG asset and the
    DAG-level assets (those only when the whole DAG was not proxied). Each
    materialization carries ``airflow/run_id``, ``airflow/logical_date``,
    ``airflow/run_url``, ``airflow/start_date``, ``airflow/end_date`` (task
    assets also ``airflow/task_id``, ``airflow/try_number`` and the task's
    times); partitioned assets get the partition containing the logical date.
    When Airflow is down the tick is skipped with the error as its reason and
    the cursor does not move. What "exactly once" covers, and its limits, is in
    ``docs/exactly-once.md``.
    """

    airlift_yaml: str = Field(
        default="airlift.yaml",
        description="Path of airlift.yaml, relative to the folder of this defs.yaml.",
    )
    instances: list[str] | None = Field(
        default=None, description="Only build these instances (default: all of the file)."
    )
    defer_to: list[str] = Field(
        default_factory=list,
        description="Folders (relative to the defs folder) of components whose assets take "
        "precedence: no spec is emitted for keys they define.",
    )
    defs_state: ResolvedDefsStateConfig = Field(
        default_factory=DefsStateConfigArgs.local_filesystem,
        description="Where the Airflow state is kept (management_type, key, refresh_if_dev).",
    )

    _project_root: Path | None = PrivateAttr(default=None)
    _folder: Path | None = PrivateAttr(default=None)

    @classmethod
    def load(cls, attributes: BaseModel | None, context: dg.ComponentLoadContext) -> Self:
        # A defs.yaml without attributes would be built with cls(), past
        # resolve_from_model: the all-defaults model gets it placed as well.
        return super().load(attributes if attributes is not None else cls.model()(), context)

    @classmethod
    def resolve_from_model(cls, context: dg.ResolutionContext, model: BaseModel) -> Self:
        """The component of a ``defs.yaml``, placed where Dagster loads it.

        Its state key and ``write_state_to_path`` receive no load context, yet
        depend on the project root and this folder; the resolution context Dagster
        builds the component with carries the load context that holds both.
        """
        component: Self = super().resolve_from_model(context, model)
        load = dg.ComponentLoadContext.from_resolution_context(context)
        component._project_root = load.project_root
        component._folder = load.path if load.path.is_dir() else load.path.parent
        return component

    @property
    def airlift_path(self) -> Path:
        """The absolute path of ``airlift.yaml`` (relative: to this component's folder)."""
        return ((self._folder or Path.cwd()) / self.airlift_yaml).resolve()

    @property
    def defs_state_config(self) -> DefsStateConfig:
        key = default_state_key(self.airlift_path, self._project_root, configured=self.airlift_yaml)
        return DefsStateConfig.from_args(self.defs_state, default_key=key)

    def write_state_to_path(self, state_path: Path) -> None:
        """Fetch every instance of ``airlift.yaml`` from Airflow into ``state_path``."""
        try:
            model, shipped = load_for_state(self.airlift_path)
            state = replace(fetch_state_file(model.instances), airlift_yaml=shipped)
            write_state_file(state_path, state)
        except StateFileError as exc:
            raise _refresh_failed(exc) from None

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        if self._refreshes_in_dev():
            # Dagster would fail the whole code location on a failed dev refresh;
            # keep the last good state instead, and say why.
            load = DefinitionsLoadContext.get()
            config = self.defs_state_config
            try:
                version = asyncio.run(self.refresh_state(context.project_root))
                load.add_defs_state_info(config.key, version)
            except StateFileError as exc:
                log.warning("Airflow state refresh failed: %s", exc)
            storage = DefsStateStorage.get()
            with (
                _state_found(config.key),
                load.state_path(config, storage, context.project_root) as state_path,
            ):
                return self.build_defs_from_state(context, state_path)
        with _state_found(self._key()):
            return super().build_defs(context)

    def _refreshes_in_dev(self) -> bool:
        config = self.defs_state_config
        return (
            first_load_in_dev()
            and config.refresh_if_dev
            and config.management_type != DefsStateManagementType.LEGACY_CODE_SERVER_SNAPSHOTS
        )

    def build_defs_from_state(
        self, context: dg.ComponentLoadContext, state_path: Path | None
    ) -> dg.Definitions:
        where = f"the defs state {self._key()}"
        # read_state_file, as plain build_defs: a folder, FIFO, device or unreadable
        # file is one logged error, not a hang, a MemoryError or a failed location.
        state = (
            usable_state(lambda: read_state_file(state_path), where)
            if state_path is not None
            else None
        )
        elsewhere: set[dg.AssetKey] = set()
        for folder in self.defer_to:
            elsewhere |= set(
                context.build_defs(self._deferred(context, folder)).resolve_all_asset_keys()
            )
        return defs_from_state(
            self.airlift_path,
            state,
            where=f"the defs state {self._key()}",
            instances=self.instances,
            defined_elsewhere=elsewhere,
        )

    def _deferred(self, context: dg.ComponentLoadContext, folder: str) -> Path:
        """A ``defer_to`` folder, checked: it must exist under the defs folder and must
        not be (or hold) this component's own folder, whose loading would recurse."""
        root = Path(context.defs_module_path)
        target = (root / folder).resolve()
        own = (self._folder or context.path).resolve()
        where = f"{own / 'defs.yaml'}: defer_to: {folder!r}"
        if not target.is_dir():
            raise UsageError(
                f"{where}: no such folder under the defs folder {root}; list the folders "
                "(relative to the defs folder) of the components whose assets take precedence"
            )
        if own == target or own.is_relative_to(target):
            raise UsageError(
                f"{where}: is this component's own folder or holds it; list the folders "
                "of other components (e.g. the dbt component's)"
            )
        return target

    def _key(self) -> str:
        return self.defs_state_config.key


@contextmanager
def _state_found(key: str) -> Iterator[None]:
    """Dagster's ``No state found`` (the stored version's object is gone from the
    storage) as one error that says how to get a loadable version again."""
    try:
        yield
    except ValueError as exc:
        if not str(exc).startswith("No state found for key"):
            raise
        raise StateFileError(
            f"the defs state {key}: the latest stored version has no object in the state "
            "storage (deleted by hand or by a lifecycle rule?); run `dg utils "
            "refresh-defs-state` (it stores a new version), then `airlift reload`"
        ) from None


def _refresh_failed(exc: StateFileError) -> StateFileError:
    """``exc`` as an error ``dg utils refresh-defs-state`` prints as its one line (a
    ``click.ClickException``), still a :class:`StateFileError` for our own callers."""
    import click  # Dagster's CLI is built on click; imported only when a refresh fails

    class RefreshFailed(StateFileError, click.ClickException):
        def __init__(self, message: str) -> None:
            click.ClickException.__init__(self, message)

        def __str__(self) -> str:
            return self.message

    return RefreshFailed(str(exc))
