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
* :func:`plain_json_metadata` — a ``JsonMetadataValue`` of data that is already plain
  JSON, made as Dagster makes one when it loads it from a pickle
  (``dagster_shared.record``'s ``_from_reduce``): without the round trip through JSON
  text (``json.loads(json.dumps(data))``) that its constructor makes to check the
  data. Each DAG asset's task index (``airlift/task_assets``) is one; at 1,000 DAGs the
  round trips cost 0.02-0.04 s of the build's CPU (about 2% of Dagster's own floor,
  ``bench/compare/floor_ratio.py``), for data the build has just made of lists and text.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from dagster._core.definitions.definitions_load_context import (
    DefinitionsLoadContext,
    DefinitionsLoadType,
)
from dagster._core.storage.defs_state.base import DefsStateStorage
from dagster._utils.env import using_dagster_dev
from dagster._utils.schedules import cron_string_iterator
from dagster_shared.record import _from_reduce
from dagster_shared.serdes.objects.models.defs_state_info import DefsStateManagementType

__all__ = [
    "DefinitionsLoadContext",
    "DefinitionsLoadType",
    "DefsStateManagementType",
    "DefsStateStorage",
    "cron_string_iterator",
    "plain_json_metadata",
    "using_dagster_dev",
]


def plain_json_metadata(data: dict[str, Any]) -> dg.JsonMetadataValue:
    """``dg.MetadataValue.json(data)`` for ``data`` made only of dicts with text keys,
    lists, text, numbers, booleans and ``None`` (what the round trip would give back
    equal), without the round trip; ``data`` is kept, not copied, so the caller must not
    change it afterwards."""
    value: dg.JsonMetadataValue = _from_reduce(dg.JsonMetadataValue, {"data": data})
    return value
