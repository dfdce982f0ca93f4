"""Launching and following the Dagster run of a proxied task (no Airflow, no server)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_side._dagster_run import (
    AIRFLOW_TRY_TAG,
    DagsterRunFailed,
    DagsterRunner,
    ProxyRequest,
    first_try_since_clear,
    partition_key,
)
from airlift_component.dagster_api import AssetNode, DagsterRun, tag_value
from airlift_component.dagster_api.targets import ProxyTarget
from airlift_component.errors import DagsterApiError
from tests.unit.fake_dagster_graphql import Clock, FakeDagsterGraphQL, graphql_runner

LOG = logging.getLogger("test")


class FakeDagster:
    """Runs advance one status per poll along a scripted list."""

    base_url = "http://dagster.test"

    def __init__(self, scripts: Mapping[str, list[str]] | None = None) -> None:
        self.scripts = {k: list(v) for k, v in (scripts or {}).items()}
        self.runs: dict[str, DagsterRun] = {}
        self.launched: list[dict[str, object]] = []
        self.asset = AssetNode(
            key=("out",),
            tags={
                "airlift/dag": tag_value("prod", "etl"),
                "airlift/task": tag_value("prod", "etl", "load"),
            },
            repository_name="__repository__",
            location_name="loc",
        )

    def run_url(self, run_id: str) -> str:
        return f"{self.base_url}/runs/{run_id}"

    def add(self, run_id: str, status: str, tags: Mapping[str, str], created: float) -> None:
        self.runs[run_id] = DagsterRun(run_id, status, dict(tags), created)

    def asset_nodes(self, keys: Iterable[Sequence[str]]) -> list[AssetNode]:
        return [self.asset] if ("out",) in [tuple(k) for k in keys] else []

    def asset_keys_with_tag(self, key: str, value: str) -> list[tuple[str, ...]]:
        return [self.asset.key] if self.asset.tags.get(key) == value else []

    def launch_run(self, **kwargs: object) -> DagsterRun:
        self.launched.append(kwargs)
        run_id = f"run{len(self.launched)}"
        self.add(run_id, "QUEUED", kwargs["tags"], float(len(self.runs)))  # type: ignore[arg-type]
        return self.runs[run_id]

    def launch(self, params: Mapping[str, Any]) -> DagsterRun:
        selector = params["selector"]
        return self.launch_run(
            location=selector["repositoryLocationName"],
            repository=selector["repositoryName"],
            asset_keys=[tuple(key["path"]) for key in selector["assetSelection"]],
            tags={t["key"]: t["value"] for t in params["executionMetadata"]["tags"]},
        )

    def get_run(self, run_id: str) -> DagsterRun:
        script = self.scripts.get(run_id)
        if script:
            run = self.runs[run_id]
            self.runs[run_id] = DagsterRun(run_id, script.pop(0), run.tags, run.creation_time)
        return self.runs[run_id]

    def find_runs(self, tags: Mapping[str, str], *, limit: int = 50) -> list[DagsterRun]:
        found = [r for r in self.runs.values() if all(r.tags.get(k) == v for k, v in tags.items())]
        return sorted(found, key=lambda r: r.creation_time, reverse=True)

    def find_runs_and_asset_nodes(
        self, tags: Mapping[str, str], keys: Iterable[Sequence[str]], *, limit: int = 50
    ) -> tuple[list[DagsterRun], list[AssetNode]]:
        return self.find_runs(tags, limit=limit), self.asset_nodes(keys)


def runner(fake: FakeDagster, clock: Clock | None = None) -> DagsterRunner:
    clock = clock or Clock()
    return DagsterRunner(fake, log=LOG, sleep=clock.sleep, clock=clock)  # type: ignore[arg-type]


REQUEST = ProxyRequest("prod", "etl", "load", "manual__1", 1, poll_interval_seconds=1)


def test_launches_one_run_tagged_with_the_task_instance_and_waits() -> None:
    fake = FakeDagster({"run1": ["STARTED", "STARTED", "SUCCESS"]})
    run = runner(fake).run(REQUEST)
    assert run.status == "SUCCESS"
    assert len(fake.launched) == 1
    assert fake.launched[0]["asset_keys"] == [("out",)]
    assert fake.launched[0]["tags"] == {
        "airlift/airflow_instance": "prod",
        "airlift/airflow_dag_id": "etl",
        "airlift/airflow_run_id": "manual__1",
        "airlift/airflow_task_id": "load",
        "airlift/airflow_try_number": "1",
    }


def request(try_number: int, first_try_number: int = 1) -> ProxyRequest:
    """A try of the task instance; ``first_try_number`` is the first since its last clear."""
    return ProxyRequest(
        "prod",
        "etl",
        "load",
        "manual__1",
        try_number,
        poll_interval_seconds=1,
        first_try_number=first_try_number,
    )


def test_same_try_run_again_after_success_launches_nothing() -> None:
    fake = FakeDagster({"run1": ["SUCCESS"]})
    runner(fake).run(request(1))
    again = runner(fake).run(request(1))
    assert (again.run_id, again.status) == ("run1", "SUCCESS")
    assert len(fake.launched) == 1


def test_cleared_task_after_success_launches_a_new_run_for_the_new_try() -> None:
    fake = FakeDagster({"run1": ["SUCCESS"], "run2": ["STARTED", "SUCCESS"]})
    runner(fake).run(request(1))
    again = runner(fake).run(request(2, first_try_number=2))
    assert (again.run_id, again.status) == ("run2", "SUCCESS")
    assert [launch["tags"][AIRFLOW_TRY_TAG] for launch in fake.launched] == ["1", "2"]  # type: ignore[index]


def test_retry_without_a_clear_reuses_an_earlier_tries_success() -> None:
    # The worker was lost after the Dagster run succeeded; Airflow retries as try 2.
    fake = FakeDagster({"run1": ["SUCCESS"]})
    runner(fake).run(request(1))
    again = runner(fake).run(request(2, first_try_number=1))
    assert (again.run_id, again.status) == ("run1", "SUCCESS")
    assert len(fake.launched) == 1


def test_success_from_before_the_last_clear_is_not_reused_by_a_later_retry() -> None:
    fake = FakeDagster()
    fake.add("before", "SUCCESS", {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "1"}, 1.0)
    fake.add("after", "SUCCESS", {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "2"}, 2.0)
    assert runner(fake).run(request(3, first_try_number=2)).run_id == "after"
    fake.add("other", "SUCCESS", {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "x"}, 3.0)
    assert runner(fake).run(request(3, first_try_number=2)).run_id == "after"
    assert fake.launched == []


@pytest.mark.parametrize(
    ("try_number", "max_tries", "retries", "first"),
    [
        (1, 0, 0, 1),  # never cleared, no retries
        (2, 1, 1, 1),  # a retry: max_tries unchanged
        (2, 1, 0, 2),  # cleared after try 1 (max_tries = 1 + 0)
        (3, 3, 1, 3),  # cleared after try 2 with one retry left to use
        (1, None, 0, 1),  # Airflow does not say
        (1, -1, 0, 1),  # not set yet
        (2, 9, 0, 2),  # never later than this try
    ],
)
def test_first_try_since_clear(
    try_number: int, max_tries: object, retries: int, first: int
) -> None:
    assert first_try_since_clear(try_number, max_tries, retries) == first


def test_the_newest_success_since_the_last_clear_is_reused() -> None:
    fake = FakeDagster()
    fake.add("first", "SUCCESS", {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "1"}, 1.0)
    fake.add("second", "SUCCESS", {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "2"}, 2.0)
    assert runner(fake).run(request(2, first_try_number=2)).run_id == "second"
    assert runner(fake).run(request(3, first_try_number=1)).run_id == "second"
    assert fake.launched == []


def test_airflow_retry_follows_a_run_of_an_earlier_try_still_going() -> None:
    fake = FakeDagster()
    fake.add("earlier", "STARTED", {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "1"}, 1.0)
    fake.scripts["earlier"] = ["STARTED", "SUCCESS"]
    run = runner(fake).run(request(2))
    assert (run.run_id, run.status) == ("earlier", "SUCCESS")
    assert fake.launched == []


def test_a_run_still_going_is_followed_even_next_to_an_earlier_success() -> None:
    fake = FakeDagster()
    fake.add("done", "SUCCESS", {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "1"}, 1.0)
    fake.add("going", "QUEUED", {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "2"}, 2.0)
    fake.scripts["going"] = ["STARTED", "SUCCESS"]
    # Cleared after try 1; try 2's worker was lost, so try 3 follows its run.
    assert runner(fake).run(request(3, first_try_number=2)).run_id == "going"
    assert fake.launched == []


def test_failed_run_fails_with_run_id_and_link() -> None:
    fake = FakeDagster({"run1": ["FAILURE"]})
    with pytest.raises(DagsterRunFailed) as info:
        runner(fake).run(REQUEST)
    assert info.value.run_id == "run1"
    assert "run1 ended FAILURE" in str(info.value)
    assert "http://dagster.test/runs/run1" in str(info.value)


def test_airflow_retry_after_failure_launches_a_new_run() -> None:
    fake = FakeDagster({"run1": ["FAILURE"], "run2": ["SUCCESS"]})
    with pytest.raises(DagsterRunFailed):
        runner(fake).run(REQUEST)
    assert runner(fake).run(request(2)).run_id == "run2"
    assert fake.launched[1]["tags"][AIRFLOW_TRY_TAG] == "2"  # type: ignore[index]


def test_follows_dagster_automatic_retries() -> None:
    fake = FakeDagster({"run1": ["STARTED", "FAILURE"], "retry1": ["STARTED", "SUCCESS"]})
    real_get = fake.get_run

    def get_run(run_id: str) -> DagsterRun:
        run = real_get(run_id)
        if run_id == "run1" and run.status == "FAILURE" and "retry1" not in fake.runs:
            tags = {**run.tags, "dagster/parent_run_id": "run1", "dagster/root_run_id": "run1"}
            fake.add("retry1", "QUEUED", tags, 10.0)
        return run

    fake.get_run = get_run  # type: ignore[method-assign]
    assert runner(fake).run(REQUEST).run_id == "retry1"


class RetryAnnounced(FakeDagster):
    """A launched run fails at once tagged ``dagster/will_retry=true``; no retry appears."""

    def launch_run(self, **kwargs: object) -> DagsterRun:
        run = super().launch_run(**kwargs)
        tags = {**run.tags, "dagster/will_retry": "true"}
        self.runs[run.run_id] = DagsterRun(run.run_id, "FAILURE", tags, run.creation_time)
        return self.runs[run.run_id]


def test_waits_for_a_retry_dagster_announced() -> None:
    fake = RetryAnnounced()
    clock = Clock()
    with pytest.raises(DagsterRunFailed, match="did not finish within 5 s"):
        runner(fake, clock).run(
            ProxyRequest("prod", "etl", "load", "r", 1, timeout_seconds=5, poll_interval_seconds=1)
        )
    assert clock.now >= 5


def test_overall_timeout_never_hangs() -> None:
    fake = FakeDagster({"run1": ["STARTED"] * 1000})
    clock = Clock()
    with pytest.raises(
        DagsterRunFailed, match=r"run1 did not finish within 30 s \(status STARTED\)"
    ):
        runner(fake, clock).run(
            ProxyRequest("prod", "etl", "load", "r", 1, timeout_seconds=30, poll_interval_seconds=2)
        )
    assert 30 <= clock.now <= 32


def asset(partition_type: str | None, fmt: str | None = None) -> AssetNode:
    return AssetNode(key=("a",), partition_type=partition_type, partition_fmt=fmt)


def test_partition_from_logical_date() -> None:
    target = ProxyTarget("loc", "repo", (asset("TIME_WINDOW", "%Y-%m-%d"),))
    logical = datetime(2026, 3, 4, tzinfo=timezone.utc)
    assert partition_key(target, logical) == "2026-03-04"


def test_partition_tag_is_sent() -> None:
    fake = FakeDagster({"run1": ["SUCCESS"]})
    fake.asset = AssetNode(
        key=("out",),
        tags=fake.asset.tags,
        partition_type="TIME_WINDOW",
        partition_fmt="%Y-%m-%d-%H:%M",
        repository_name="__repository__",
        location_name="loc",
    )
    request = ProxyRequest("prod", "etl", "load", "r", 1, logical_date=datetime(2026, 1, 2, 3))
    runner(fake).run(request)
    assert fake.launched[0]["tags"]["dagster/partition"] == "2026-01-02-03:00"  # type: ignore[index]


def test_unpartitioned_assets_get_no_partition() -> None:
    assert partition_key(ProxyTarget("l", "r", (asset(None),)), None) is None


@pytest.mark.parametrize(
    ("nodes", "logical", "match"),
    [
        ((asset("STATIC"),), datetime(2026, 1, 1), "not by time"),
        (
            (asset("TIME_WINDOW", "%Y"), asset("TIME_WINDOW", "%Y-%m")),
            datetime(2026, 1, 1),
            "different",
        ),
        ((asset("TIME_WINDOW", "%Y"),), None, "no logical date"),
    ],
    ids=["static", "mixed-formats", "no-logical-date"],
)
def test_partition_problems_are_clear(
    nodes: tuple[AssetNode, ...], logical: datetime | None, match: str
) -> None:
    with pytest.raises(DagsterApiError, match=match):
        partition_key(ProxyTarget("l", "r", nodes), logical)


class FakeGraphQL(FakeDagsterGraphQL):
    """The fake GraphQL endpoint; its launch makes run ``launched``."""

    def new_run_id(self) -> str:
        return "launched"

    def before_launch(self) -> list[str]:
        """The operations up to and including the first launch."""
        return self.operations[: self.operations.index("AirliftLaunchRun") + 1]


def test_three_requests_up_to_the_launch_on_the_index_path() -> None:
    fake = FakeGraphQL()
    run = graphql_runner(fake).run(REQUEST)
    assert run.run_id == "launched"
    assert fake.before_launch() == [
        "AirliftRunsAndAssetNodes",
        "AirliftAssetNodes",
        "AirliftLaunchRun",
    ]


@pytest.mark.parametrize("status", ["SUCCESS", "STARTED"])
def test_an_existing_run_short_circuits_after_one_request(status: str) -> None:
    fake = FakeGraphQL()
    fake.add_run("earlier", status, {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "1"})
    run = graphql_runner(fake).run(REQUEST)
    assert (run.run_id, run.status) == ("earlier", "SUCCESS")
    polls = ["AirliftRun"] if status == "STARTED" else []
    assert fake.operations == ["AirliftRunsAndAssetNodes", *polls]
