"""What the demo asks Dagster over GraphQL: materializations of assets, runs by tag."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

GraphQL = Callable[[str, Mapping[str, Any]], dict[str, Any]]

_MATERIALIZATIONS = """
query Materializations($path: [String!]!, $limit: Int!) {
  assetOrError(assetKey: {path: $path}) {
    __typename
    ... on Asset {
      assetMaterializations(limit: $limit) {
        runId
        timestamp
        metadataEntries {
          label
          ... on TextMetadataEntry { text }
          ... on UrlMetadataEntry { url }
        }
      }
    }
  }
}
"""

_RUNS_BY_TAG = """
query RunsByTag($key: String!, $value: String!) {
  runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
    __typename
    ... on Runs {
      results {
        runId
        status
        tags { key value }
        assetSelection { path }
      }
    }
    ... on PythonError { message }
  }
}
"""


@dataclass(frozen=True)
class Materialization:
    """One materialization of an asset as Dagster shows it."""

    key: str
    run_id: str
    timestamp: str
    metadata: dict[str, str]

    @property
    def airflow_run_id(self) -> str | None:
        return self.metadata.get("airflow/run_id")


@dataclass(frozen=True)
class DagsterRun:
    """A Dagster run with its tags and the assets it was asked to materialize."""

    run_id: str
    status: str
    tags: dict[str, str]
    assets: list[str]


def materializations(graphql: GraphQL, key: str, limit: int = 20) -> list[Materialization]:
    """The latest materializations of ``key`` (slash-separated), newest first."""
    data = graphql(_MATERIALIZATIONS, {"path": key.split("/"), "limit": limit})["assetOrError"]
    if data["__typename"] != "Asset":
        return []
    found = []
    for event in data["assetMaterializations"]:
        metadata = {
            entry["label"]: entry.get("text") or entry.get("url") or ""
            for entry in event.get("metadataEntries") or []
        }
        found.append(Materialization(key, event["runId"], event["timestamp"], metadata))
    return found


def runs_tagged(graphql: GraphQL, key: str, value: str) -> list[DagsterRun]:
    """Runs carrying the tag ``key=value``, newest first."""
    data = graphql(_RUNS_BY_TAG, {"key": key, "value": value})["runsOrError"]
    if data["__typename"] != "Runs":
        raise RuntimeError(f"Dagster could not list runs: {data.get('message', data)}")
    return [
        DagsterRun(
            run_id=run["runId"],
            status=run["status"],
            tags={tag["key"]: tag["value"] for tag in run["tags"]},
            assets=["/".join(selected["path"]) for selected in run.get("assetSelection") or []],
        )
        for run in data["results"]
    ]
