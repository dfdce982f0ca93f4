"""The freshness sensor between runs asks for an evaluation only when time alone may
have made a check stale: a passed check whose fresh-until time is past, or a check
never evaluated whose lag has gone by since the sensor first saw it. Never for a
failed check, nor for one under evaluation, which the next update's run judges.

Real Dagster objects (Dagster's own freshness checks, an ephemeral instance, real
runs); e2e on real Airflow and Dagster: ``tests/e2e/test_sensor_checks_e2e.py``
(once per Airflow run) and ``tests/e2e/test_proxy_checks_e2e.py`` (once per proxied
run).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import dagster as dg

from airlift_component.component.freshness_between_runs import (
    BETWEEN_RUNS_TAG,
    between_runs_sensor,
    check_lags,
    due_checks,
)

KEY = dg.AssetKey(["raw", "customers"])
LAG = 3600.0
CHECKS = dg.build_last_update_freshness_checks(assets=[KEY], lower_bound_delta=timedelta(hours=1))
CHECK = dg.AssetCheckKey(KEY, "freshness_check")


@dg.asset(key=KEY)
def raw_customers() -> None:
    return None


def _materialize(instance: dg.DagsterInstance) -> None:
    assert dg.materialize([raw_customers, *CHECKS], instance=instance).success


def _evaluate_only(instance: dg.DagsterInstance) -> None:
    """An evaluation of the check without an update of its asset."""
    result = dg.materialize(
        [raw_customers, *CHECKS],
        instance=instance,
        selection=dg.AssetSelection.checks(*CHECKS),
        raise_on_error=False,
    )
    assert result.success


def test_lags_are_read_from_the_checks_dagster_built() -> None:
    assert check_lags(CHECKS) == {CHECK: LAG}


def test_a_passed_check_is_due_only_after_its_fresh_until_time() -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        _materialize(instance)  # the update's own run evaluates the check: passed
        now = time.time()
        assert due_checks(instance, {CHECK: LAG}, {}, now) == {}
        later = due_checks(instance, {CHECK: LAG}, {}, now + LAG + 60)
        assert list(later) == [CHECK]


def test_a_never_evaluated_check_is_due_one_lag_after_it_was_first_seen() -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        first_seen: dict[str, float] = {}
        now = time.time()
        assert due_checks(instance, {CHECK: LAG}, first_seen, now) == {}
        assert first_seen == {"raw/customers:freshness_check": now}
        assert due_checks(instance, {CHECK: LAG}, first_seen, now + LAG - 1) == {}
        assert list(due_checks(instance, {CHECK: LAG}, first_seen, now + LAG)) == [CHECK]
        _materialize(instance)
        due_checks(instance, {CHECK: LAG}, first_seen, now + LAG)
        assert first_seen == {}  # evaluated since: forgotten


def test_a_failed_check_is_left_to_the_next_update() -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        _evaluate_only(instance)  # never materialized: the check fails
        (record,) = instance.event_log_storage.get_asset_check_execution_history(CHECK, limit=5)
        assert record.status.value == "FAILED"
        assert due_checks(instance, {CHECK: LAG}, {}, time.time() + 100 * LAG) == {}


def test_the_sensor_skips_remembers_and_requests_once_due() -> None:
    sensor = between_runs_sensor("prod", CHECKS, running=True)
    assert sensor.name == "airlift_prod_freshness_checks"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_sensor_context(instance=instance)
        assert isinstance(sensor(context), dg.SkipReason)
        first_seen = json.loads(context.cursor or "{}")
        assert list(first_seen) == ["raw/customers:freshness_check"]

        long_ago = json.dumps({"raw/customers:freshness_check": time.time() - 2 * LAG})
        requests = [sensor(dg.build_sensor_context(instance=instance, cursor=long_ago))]
        requests.append(sensor(dg.build_sensor_context(instance=instance, cursor=long_ago)))
        for request in requests:
            assert isinstance(request, dg.RunRequest)
            assert request.asset_check_keys == [CHECK]
            assert request.tags[BETWEEN_RUNS_TAG] == "prod"
        # The same due checks give the same run key: Dagster launches the run once.
        assert requests[0].run_key == requests[1].run_key  # type: ignore[union-attr]


def test_a_stopped_sensor_is_built_stopped() -> None:
    sensor = between_runs_sensor("prod", CHECKS, running=False)
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
