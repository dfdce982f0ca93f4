"""The runs of asset checks a tick requests for what it recorded from Airflow.

Every asset check defined on an asset the sensor records (a user's
``@asset_check`` merged into the code location, or a check declared in
``airlift.yaml``) runs after each recorded batch (one Airflow run's tries and
completion in one tick, see :mod:`airlift_component.sensor.check_batches`), in
one Dagster run per batch with a run key derived from the batch, so Dagster
launches it once whatever happens to the tick. The checks are found in the
asset graph of the code location the sensor runs in (the one the user's
``Definitions.merge`` built), at the first tick and again when it changes.

Only checks that run on their own are requested: a check defined together with
the asset it checks (``@asset(check_specs=...)``, a multi-asset's checks) runs
when Dagster materializes that asset, and requesting it alone would make
Dagster materialize the asset that Airflow already made. A partitioned check is
not requested either (the batch gives no single partition to run it for). A
multi-asset check that Dagster cannot run in part (``@multi_asset_check`` without
``can_subset``) runs as a whole, as Dagster itself would run it. What
a proxied task made in Dagster is not recorded by the sensor, so no check is
requested for it: its own Dagster run ran the checks it selected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dagster as dg

#: Tags of a check run: which Airflow run's batch it checks (never the proxies' tags,
#: which mark a Dagster run as the one a proxied task launched).
CHECKS_INSTANCE_TAG = "airlift/checks_for_instance"
CHECKS_DAG_TAG = "airlift/checks_for_dag_id"
CHECKS_RUN_TAG = "airlift/checks_for_run_id"


@dataclass(frozen=True)
class CheckBatch:
    """The assets one tick recorded for one Airflow run, and the run key of their checks."""

    run_key: str
    instance: str
    dag_id: str
    run_id: str
    keys: frozenset[dg.AssetKey]


class CheckTargets:
    """The checks to request per asset key, from one repository's asset graph."""

    def __init__(self, repository: dg.RepositoryDefinition) -> None:
        self.repository = repository
        graph = repository.asset_graph
        self.by_asset: dict[dg.AssetKey, list[dg.AssetCheckKey]] = {}
        for check_key in sorted(graph.asset_check_keys, key=lambda k: k.to_user_string()):
            definition = graph.assets_def_for_key(check_key)
            if definition.keys or definition.partitions_def is not None:
                continue  # runs with its asset, or needs a partition (module docstring)
            # A multi-asset check that cannot be subset runs as a whole, as Dagster runs it.
            unit = [check_key] if definition.can_subset else sorted(definition.check_keys)
            self.by_asset.setdefault(check_key.asset_key, []).extend(unit)

    def for_assets(self, keys: Iterable[dg.AssetKey]) -> list[dg.AssetCheckKey]:
        """The checks to run after ``keys`` were recorded, in a stable order."""
        found = {check for key in keys for check in self.by_asset.get(key, ())}
        return sorted(found, key=lambda k: k.to_user_string())


class CheckRequester:
    """Turns a tick's batches into run requests; keeps the checks of the last
    repository it saw (the sensor's code location, rebuilt on a reload)."""

    def __init__(self) -> None:
        self._targets: CheckTargets | None = None

    def targets(self, repository: dg.RepositoryDefinition) -> CheckTargets:
        if self._targets is None or self._targets.repository is not repository:
            self._targets = CheckTargets(repository)
        return self._targets

    def requests(
        self, batches: Sequence[CheckBatch], repository: dg.RepositoryDefinition | None
    ) -> list[dg.RunRequest]:
        """One run request per batch with checks on its assets."""
        if repository is None or not batches:
            return []
        targets = self.targets(repository)
        if not targets.by_asset:
            return []
        requests = []
        for batch in batches:
            checks = targets.for_assets(batch.keys)
            if checks:
                requests.append(check_run_request(batch, checks))
        return requests


def check_run_request(batch: CheckBatch, checks: Sequence[dg.AssetCheckKey]) -> dg.RunRequest:
    """The run of ``checks`` after ``batch`` (no asset is materialized by it)."""
    return dg.RunRequest(
        run_key=batch.run_key,
        asset_selection=[],
        asset_check_keys=list(checks),
        tags={
            CHECKS_INSTANCE_TAG: batch.instance,
            CHECKS_DAG_TAG: batch.dag_id,
            CHECKS_RUN_TAG: batch.run_id,
        },
    )
