"""Values the Dagster GraphQL client returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airlift_component.mapping_tags import (  # noqa: F401  (re-exported)
    DAG_ID_METADATA,
    DAG_TAG,
    INSTANCE_METADATA,
    MAX_TAG_VALUE,
    TASK_ASSETS_METADATA,
    TASK_ID_METADATA,
    TASK_TAG,
    dag_asset_key,
    tag_value,
)

#: Run statuses after which a Dagster run never changes again.
FINISHED_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})

#: Tag a retried run carries, naming the first run of its retry chain.
ROOT_RUN_TAG = "dagster/root_run_id"
PARENT_RUN_TAG = "dagster/parent_run_id"
#: Materialization metadata entry whose value a proxied Airflow task returns (its
#: XCom ``return_value``): how Dagster code hands a value back to Airflow.
XCOM_RETURN_VALUE_METADATA = "airlift/xcom_return_value"
#: Set on a failed run when Dagster will launch an automatic retry of it.
WILL_RETRY_TAG = "dagster/will_retry"


@dataclass(frozen=True)
class AssetNode:
    """One asset definition as Dagster's GraphQL API describes it."""

    key: tuple[str, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    is_executable: bool = True
    partition_type: str | None = None
    partition_fmt: str | None = None
    repository_name: str = ""
    location_name: str = ""
    dependency_keys: tuple[tuple[str, ...], ...] = ()
    text_metadata: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: JSON metadata entries as their raw JSON text (parsed by whoever reads them).
    json_metadata: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: The GraphQL answer this node was read from (what ``filter_asset_nodes`` gets).
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def key_string(self) -> str:
        return "/".join(self.key)

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> AssetNode:
        repository = data.get("repository") or {}
        partition = data.get("partitionDefinition") or {}
        entries = data.get("metadataEntries") or []
        metadata = {e["label"]: e["text"] for e in entries if isinstance(e.get("text"), str)}
        json_metadata = {
            e["label"]: e["jsonString"] for e in entries if isinstance(e.get("jsonString"), str)
        }
        return cls(
            key=tuple(data["assetKey"]["path"]),
            tags={tag["key"]: tag["value"] for tag in data.get("tags") or []},
            is_executable=bool(data.get("isExecutable", True)),
            partition_type=partition.get("type"),
            partition_fmt=partition.get("fmt"),
            repository_name=repository.get("name", ""),
            location_name=(repository.get("location") or {}).get("name", ""),
            dependency_keys=tuple(tuple(k["path"]) for k in data.get("dependencyKeys") or []),
            text_metadata=metadata,
            json_metadata=json_metadata,
            raw=data,
        )


@dataclass(frozen=True)
class DagsterRun:
    """A Dagster run: id, status and tags."""

    run_id: str
    status: str
    tags: Mapping[str, str] = field(default_factory=dict)
    creation_time: float = 0.0

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def root_run_id(self) -> str:
        """The first run of this run's retry chain (itself when it is not a retry)."""
        return self.tags.get(ROOT_RUN_TAG, self.run_id)

    @property
    def will_retry(self) -> bool:
        return self.tags.get(WILL_RETRY_TAG, "").lower() == "true"

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> DagsterRun:
        return cls(
            run_id=data["runId"],
            status=data["status"],
            tags={tag["key"]: tag["value"] for tag in data.get("tags") or []},
            creation_time=float(data.get("creationTime") or 0.0),
        )


@dataclass(frozen=True)
class MaterializationMetadata:
    """One asset materialization of a run: the asset and its metadata entries as
    GraphQL returned them (read values with ``metadata_values.entry_value``)."""

    key: tuple[str, ...]
    entries: tuple[Mapping[str, Any], ...] = ()

    @property
    def key_string(self) -> str:
        return "/".join(self.key)

    def entry(self, label: str) -> Mapping[str, Any] | None:
        """The entry labelled ``label`` (the last one, as Dagster shows it)."""
        found = [e for e in self.entries if e.get("label") == label]
        return found[-1] if found else None

    @classmethod
    def from_graphql(cls, data: Mapping[str, Any]) -> MaterializationMetadata:
        return cls(
            key=tuple(data["assetKey"]["path"]),
            entries=tuple(dict(e) for e in data.get("metadataEntries") or []),
        )
