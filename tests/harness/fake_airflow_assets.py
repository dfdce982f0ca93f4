"""The fake Airflow with what the asset tests need beyond the plain fake: asset
aliases, DAG details with the schedule condition, events of an inactive asset
sharing a URI with an active one, partition keys, and one asset's events.

    with AssetFakeAirflow(api="v2", username="admin", password="pw") as fake:
        fake.add_asset("s3://b/x", producing_tasks=[("p", "t")])
        fake.set_aliases("s3://b/x", ["my-alias"])
        fake.set_expression("consumer", {"alias": {"name": "my-alias", "group": "asset"}})
        event = fake.add_asset_event("s3://b/x", source=("p2", "emit", "run1"))
        fake.set_event_partition(event.event_id, "2026-01-01")
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.harness.fake_airflow import FakeAirflow, FakeAsset, FakeAssetEvent
from tests.harness.fake_airflow_http import FakeAirflowHandler

_DETAILS = "/details"


class AssetFakeHandler(FakeAirflowHandler):
    """Serves ``GET /dags/{id}/details`` and the fields the plain fake leaves out."""

    _details = False

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if "/dags/" in path and path.endswith(_DETAILS):
            # The plain router knows GET /dags/{id}: answer that route, with details.
            self._details = True
            self.path = self.path.replace(_DETAILS, "", 1)
            try:
                self._handle()
            finally:
                self._logged.path = path
            return
        self._handle()

    @property
    def assets_fake(self) -> AssetFakeAirflow:
        fake = self.fake
        assert isinstance(fake, AssetFakeAirflow)
        return fake

    def _r_get_dag(self, dag: str) -> None:
        if not self._details:
            return super()._r_get_dag(dag)
        found = self.fake.dags.get(dag)
        if found is None:
            return self._error(404, f"DAG with dag_id: '{dag}' not found")
        field = "asset_expression" if self.fake.api == "v2" else "dataset_expression"
        self._send(200, {**self._dag_json(found), field: self.assets_fake.expressions.get(dag)})

    def _asset_json(self, asset: FakeAsset) -> dict[str, Any]:
        record = super()._asset_json(asset)
        names = self.assets_fake.aliases.get(asset.uri, [])
        ids = {name: number for number, name in enumerate(sorted(names), start=1)}
        v2 = self.fake.api == "v2"
        record["aliases"] = [
            {"id": ids[name], "name": name, **({"group": "asset"} if v2 else {})} for name in names
        ]
        return record

    def _event_json(self, event: FakeAssetEvent) -> dict[str, Any]:
        record = super()._event_json(event)
        fake = self.assets_fake
        asset_id = fake.event_asset_ids.get(event.event_id)
        if asset_id is not None:
            record["asset_id" if self.fake.api == "v2" else "dataset_id"] = asset_id
        if self.fake.api == "v2" and fake.partitions_supported:
            record["partition_key"] = fake.partition_keys.get(event.event_id)
        elif "partition_key" in record:
            del record["partition_key"]  # before Airflow 3.2
        return record

    def _r_list_asset_events(self) -> None:
        field = "asset_id" if self.fake.api == "v2" else "dataset_id"
        wanted = self._query.get(field)
        if not wanted:
            return super()._r_list_asset_events()
        asset_id = int(wanted[0])
        events = [e for e in self.fake.asset_events if self._asset_id_of(e) == asset_id]
        order = (self._query.get("order_by") or ["timestamp"])[0]
        events.sort(key=lambda e: (e.timestamp, e.event_id), reverse=order.startswith("-"))
        offset = int(self._query.get("offset", ["0"])[0])
        limit = int(self._query.get("limit", ["100"])[0])
        page = self._page(events, offset, limit)
        out = "asset_events" if self.fake.api == "v2" else "dataset_events"
        self._send(200, {out: [self._event_json(e) for e in page], "total_entries": len(events)})

    def _asset_id_of(self, event: FakeAssetEvent) -> int | None:
        override = self.assets_fake.event_asset_ids.get(event.event_id)
        if override is not None:
            return override
        asset = self.fake.assets.get(event.uri)
        return asset.asset_id if asset else None


class AssetFakeAirflow(FakeAirflow):
    """:class:`FakeAirflow` with aliases, schedule conditions, inactive assets and
    partition keys (see the module docstring)."""

    handler_class = AssetFakeHandler

    def __init__(self, api: str = "v2", **kwargs: Any) -> None:
        super().__init__(api, **kwargs)
        #: Alias names each asset (by URI) was emitted through.
        self.aliases: dict[str, list[str]] = {}
        #: The ``asset_expression`` (v2) / ``dataset_expression`` (v1) of each DAG.
        self.expressions: dict[str, Any] = {}
        #: Events that belong to another asset id than their URI's active asset.
        self.event_asset_ids: dict[int, int] = {}
        self.partition_keys: dict[int, str] = {}
        #: Airflow 3.2+ sends ``partition_key`` on events; set false for 3.0/3.1.
        self.partitions_supported = True
        self._inactive_ids = 1000

    def set_aliases(self, uri: str, names: list[str]) -> None:
        with self.lock:
            self.aliases[uri] = list(names)

    def set_expression(self, dag_id: str, expression: Any) -> None:
        with self.lock:
            self.expressions[dag_id] = expression

    def add_inactive_asset_event(self, uri: str, **kwargs: Any) -> FakeAssetEvent:
        """An event of an inactive asset (not listed) that shares ``uri`` with the
        active one: same URI, another asset id."""
        with self.lock:
            self._inactive_ids += 1
            inactive_id = self._inactive_ids
        event = self.add_asset_event(uri, **kwargs)
        with self.lock:
            self.event_asset_ids[event.event_id] = inactive_id
        return event

    def set_event_partition(self, event_id: int, key: str) -> None:
        with self.lock:
            self.partition_keys[event_id] = key
