"""Routes the proxied run's steps through the operator's overridable methods.

:class:`~airflow_side._dagster_run.DagsterRunner` knows nothing of Airflow; this
adapter hands it an operator's ``filter_asset_nodes``, ``get_partition_key``,
``launch_dagster_run`` and ``get_dagster_run_obj``, with the task context and the
session they expect, and records the run for the "Dagster run" link.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from airflow_side._dagster_run import ProxyRequest, RunHooks
from airflow_side.links import remember_run_url
from airlift_component.dagster_api import DagsterClient, DagsterRun
from airlift_component.dagster_api.targets import ProxyTarget
from airlift_component.errors import DagsterApiError


def run_as_mapping(run: DagsterRun) -> dict[str, Any]:
    """A run in the shape of GraphQL's ``Run`` (what ``get_dagster_run_obj`` returns)."""
    return {
        "runId": run.run_id,
        "status": run.status,
        "tags": [{"key": k, "value": v} for k, v in run.tags.items()],
        "creationTime": run.creation_time,
    }


def _key(node: Mapping[str, Any]) -> tuple[str, ...]:
    try:
        return tuple(node["assetKey"]["path"])
    except (KeyError, TypeError):
        raise DagsterApiError(
            f"filter_asset_nodes returned {type(node).__name__} without assetKey.path; "
            "return the asset node mappings it was given"
        ) from None


class OperatorHooks(RunHooks):
    """:class:`RunHooks` that call one operator's methods for one task instance."""

    def __init__(self, operator: Any, context: Mapping[str, Any], session: Any) -> None:
        self.operator = operator
        self.context = context
        self.session = session
        self.dagster_url = operator.get_dagster_url(context)

    def select_assets(self, target: ProxyTarget) -> ProxyTarget:
        nodes = [dict(node.raw) for node in target.assets]
        kept = {_key(node) for node in self.operator.filter_asset_nodes(self.context, nodes)}
        assets = tuple(node for node in target.assets if node.key in kept)
        if not assets:
            names = ", ".join(node.key_string for node in target.assets)
            raise DagsterApiError(
                f"{type(self.operator).__name__}.filter_asset_nodes kept none of the assets "
                f"mapped to this task ({names}); nothing to run"
            )
        return dataclasses.replace(target, assets=assets)

    def partition_key(self, target: ProxyTarget, request: ProxyRequest) -> str | None:
        key = self.operator.get_partition_key(self.context, target)
        return None if key is None else str(key)

    def launch(self, client: DagsterClient, params: dict[str, Any]) -> str:
        run_id = self.operator.launch_dagster_run(
            self.context, self.session, self.dagster_url, params
        )
        return str(run_id)

    def get_run(self, client: DagsterClient, run_id: str) -> DagsterRun:
        found = self.operator.get_dagster_run_obj(self.session, self.dagster_url, run_id)
        try:
            return DagsterRun.from_graphql({"runId": run_id, **found})
        except (KeyError, TypeError, ValueError, AttributeError):
            raise DagsterApiError(
                f"get_dagster_run_obj returned no usable run for {run_id} "
                "(expected a mapping with status and tags)"
            ) from None

    def run_known(self, run: DagsterRun, url: str) -> None:
        remember_run_url(self.operator, self.context, url)
