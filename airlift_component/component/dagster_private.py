"""The Dagster internals the component relies on, and why: the only place it imports them.

``dagster.components`` has no public way to do what these do, so they are pinned with
Dagster itself: ``pyproject.toml`` allows exactly the minor release the tests run
(``dagster>=1.13.27,<1.14``, the version ``constraints/dev`` locks). When moving to a
new Dagster, check each name below still exists and means the same, and widen the pin.

* :class:`DefinitionsLoadContext`, :class:`DefinitionsLoadType` — whether this load
  is the code location's first (``INITIALIZATION``, where ``dagster dev`` refreshes
  state) or a run worker reconstructing it; and the two calls
  ``StateBackedComponent.build_defs`` makes after a refresh (``add_defs_state_info``
  records the new version, ``state_path`` opens it). The component repeats that
  branch because Dagster's version fails the whole code location when the dev
  refresh fails, where ours logs why and keeps the last good state.
* :class:`DefsStateStorage` — ``DefsStateStorage.get()``, the storage this load
  reads state from, which ``state_path`` needs (as in Dagster's own branch).
* :func:`using_dagster_dev` — whether ``dagster dev`` / ``dg dev`` runs this process:
  the same test Dagster uses to decide on a refresh at load.
* :class:`DefsStateManagementType` — the values of ``DefsStateConfig.management_type``
  (``LEGACY_CODE_SERVER_SNAPSHOTS`` is never refreshed by the component itself);
  ``dagster.components`` uses it without re-exporting it.
* :func:`cron_string_iterator` — the tick instants of a cron string in a timezone, as
  Dagster's own scheduler computes them. A decommissioned DAG's schedule names each
  run after the tick before it (Airflow's interval semantics), and only the
  scheduler's own arithmetic gives the same instant across clock changes.
"""

from __future__ import annotations

from dagster._core.definitions.definitions_load_context import (
    DefinitionsLoadContext,
    DefinitionsLoadType,
)
from dagster._core.storage.defs_state.base import DefsStateStorage
from dagster._utils.env import using_dagster_dev
from dagster._utils.schedules import cron_string_iterator
from dagster_shared.serdes.objects.models.defs_state_info import DefsStateManagementType

__all__ = [
    "DefinitionsLoadContext",
    "DefinitionsLoadType",
    "DefsStateManagementType",
    "DefsStateStorage",
    "cron_string_iterator",
    "using_dagster_dev",
]
