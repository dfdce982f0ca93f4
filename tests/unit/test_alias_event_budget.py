"""A refresh reads a bounded number of asset-event pages to find the tasks emitting
assets through an alias, however many aliased assets Airflow lists and however many
events it serves (issue 22): 500 events per asset were read for every aliased asset,
with no bound on them all together.

The fake Airflow here serves endless events of every aliased asset: full pages
without a total, or more events than asked for. When the bound is reached the refresh
still succeeds, keeps the producers it found, and one warning names the Airflow URL,
how many aliased assets were left unread, and what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from airlift_component.airflow_state import airflow_asset_fetch
from airlift_component.airflow_state.airflow_asset_fetch import fetch_airflow_assets
from airlift_component.airflow_state.state import DagState
from airlift_component.airflow_state.state_file import read_state_file
from airlift_component.cli.main import main
from tests.harness.fake_airflow import FakeAssetEvent
from tests.harness.fake_airflow_assets import AssetFakeAirflow, AssetFakeHandler
from tests.unit.cli_project import PASSWORD, USERNAME, fake_instance

ALIASED = 30
T0 = datetime(2026, 12, 7, tzinfo=UTC)


class EndlessEventsHandler(AssetFakeHandler):
    """Answers every read of one asset's events with a full page (``oversend`` times
    what was asked) and no total: its events never end."""

    def _r_list_asset_events(self) -> None:
        field = "asset_id" if self.fake.api == "v2" else "dataset_id"
        wanted = self._query.get(field)
        if not wanted:
            return super()._r_list_asset_events()
        fake = self.fake
        assert isinstance(fake, EndlessEventsAirflow)
        asset_id = int(wanted[0])
        uri = next(asset.uri for asset in fake.assets.values() if asset.asset_id == asset_id)
        offset = int(self._query.get("offset", ["0"])[0])
        count = int(self._query.get("limit", ["100"])[0]) * fake.oversend
        page = [
            FakeAssetEvent(
                event_id=asset_id * 1_000_000 + offset + n,
                uri=uri,
                timestamp=T0,
                source_dag_id="emitter",
                source_task_id=f"t{(offset + n) % 7}",
                source_run_id="r",
            )
            for n in range(count)
        ]
        out = "asset_events" if fake.api == "v2" else "dataset_events"
        self._send(200, {out: [self._event_json(event) for event in page]})


class EndlessEventsAirflow(AssetFakeAirflow):
    handler_class = EndlessEventsHandler
    oversend = 1


@pytest.fixture(params=["v1", "v2"])
def fake(request: pytest.FixtureRequest) -> Iterator[EndlessEventsAirflow]:
    with EndlessEventsAirflow(api=request.param, username=USERNAME, password=PASSWORD) as fake:
        fake.add_dag("emitter", {f"t{n}": [] for n in range(7)})
        for number in range(ALIASED):
            uri = f"s3://lake/part-{number:03d}"
            fake.add_asset(uri)
            fake.set_aliases(uri, ["daily"])
        yield fake


def _event_reads(fake: EndlessEventsAirflow) -> int:
    return len(fake.api_requests(r"/events$"))


@pytest.mark.parametrize(
    ("oversend", "reads", "unread"),
    [
        # 12 pages: assets 1 and 2 read to their 500 events, the 3rd cut after 200
        pytest.param(1, 12, 28, id="full-pages"),
        # 400 events a page: 1,200 events spent after 3 pages, in the 2nd asset
        pytest.param(4, 3, 29, id="more-than-asked"),
    ],
)
def test_endless_alias_events_stop_at_the_refresh_bound(
    fake: EndlessEventsAirflow,
    oversend: int,
    reads: int,
    unread: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.oversend = oversend
    pages = 12
    with caplog.at_level(logging.WARNING), fake.client() as client:
        dags = {dag.dag_id: DagState(dag) for dag in client.list_dags()}
        assets = fetch_airflow_assets(client, dags, alias_event_pages=pages)
    # without the bound: 30 assets x 5 pages; with it, its pages, or fewer when the
    # server sends more events than asked (the events are bounded too)
    assert _event_reads(fake) == reads
    # what was read is kept: the first assets show the emitting tasks
    assert assets[0].alias_producing_tasks == tuple(("emitter", f"t{n}") for n in range(7))
    [record] = [r for r in caplog.records if "aliased asset" in r.getMessage()]
    message = record.getMessage()
    assert fake.url in message and "Airflow at" in message
    assert f"{unread} aliased asset(s) were not (fully) read" in message
    assert "s3://lake/part-029" not in message  # the first five and a count, not all
    assert "Remove the assets no task emits any more" in message


def test_under_the_bound_nothing_is_said(
    fake: EndlessEventsAirflow, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), fake.client() as client:
        dags = {dag.dag_id: DagState(dag) for dag in client.list_dags()}
        assets = fetch_airflow_assets(client, dags, alias_event_pages=ALIASED * 5)
    assert _event_reads(fake) == ALIASED * 5
    assert len(assets) == ALIASED
    assert not [r for r in caplog.records if "aliased asset" in r.getMessage()]


def test_the_refresh_command_is_bounded_and_says_so(
    fake: EndlessEventsAirflow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(airflow_asset_fetch, "MAX_ALIAS_EVENT_PAGES", 8)
    path = tmp_path / "airlift.yaml"
    path.write_text(fake_instance(fake.url, extra="airflow_assets: {enabled: true}"))
    with caplog.at_level(logging.WARNING):
        assert main(["refresh", "--config", str(path)]) == 0
    assert _event_reads(fake) == 8
    assert f"Airflow at {fake.url}" in caplog.text
    state = read_state_file(tmp_path / ".airlift" / "state.json")
    assert state is not None
    assets = state.instances["fake"].airflow_assets or ()
    assert [a.uri for a in assets if a.alias_producing_tasks] == [
        "s3://lake/part-000",
        "s3://lake/part-001",
    ]
