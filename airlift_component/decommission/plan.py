"""The ``decommissioned:`` record for one DAG, from Airflow's DAG details, or why there is none.

A DAG on a time schedule gets the cron :mod:`.cron` derives, starting at Airflow's
next run; that run must still lie ahead (Airflow has not created it), else the
first interval Dagster must run is not known yet. A DAG Airflow assets trigger
gets the Dagster keys of those assets and whether ``any`` or ``all`` of them must
be updated: one asset, ``a | b`` and ``[a, b]`` / ``a & b`` of plain assets map to
Dagster as they are; a nested expression, an alias, an ``Asset.ref`` or
asset-or-time is refused with the reason.

Dagster-free and Airflow-free.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from airlift_component.airflow_api.asset_conditions import (
    Condition,
    condition_text,
    parse_condition,
)
from airlift_component.decommission.airflow_schedule import ApiVersion, parse_schedule
from airlift_component.decommission.cron import CannotReplaceSchedule, replacement_cron
from airlift_component.decommission.yaml_block import DecommissionRecord

#: The Dagster key (``a/b/c``) of an Airflow asset by URI and name, ``None`` when the
#: stored Airflow state does not hold it.
KeyOf = Callable[[str, str], str | None]

_ASSETS_HINT = (
    "write the automation for this DAG's assets by hand (an AutomationCondition on "
    "them), then pause the DAG in Airflow"
)


def plan_record(
    details: dict[str, Any],
    api: ApiVersion,
    *,
    now: datetime,
    paused: bool,
    key_of: KeyOf | None,
    timezone_name: str | None = None,
) -> DecommissionRecord:
    """The record to write for a DAG now; :class:`CannotReplaceSchedule` says why not.

    ``paused`` is whether the DAG is paused in Airflow already (then nothing is
    paused, and a cron schedule starts at the later of Airflow's next run and now);
    ``key_of`` is ``None`` when the instance does not have ``airflow_assets`` enabled;
    ``timezone_name`` replaces the timezone Airflow reports (see :func:`.replacement_cron`).
    """
    try:
        schedule = parse_schedule(details, api)
    except ValueError as exc:
        raise CannotReplaceSchedule(f"Airflow's DAG details cannot be read: {exc}") from None
    if schedule.asset_triggered:
        field = "asset_expression" if api == "v2" else "dataset_expression"
        summary = details.get("timetable_summary" if api == "v2" else "timetable_description")
        condition = parse_condition(
            details.get(field), summary if isinstance(summary, str) else None
        )
        keys, mode = _asset_keys(schedule.dag_id, condition, key_of)
        return DecommissionRecord(
            None, None, _iso(now), None, not paused, on_assets=keys, on_assets_updated=mode
        )
    cron = replacement_cron(schedule, timezone_name)
    first = cron.first_tick
    if first <= now:
        if not paused:
            raise CannotReplaceSchedule(
                f"Airflow's next run of DAG {schedule.dag_id!r} was due at {_iso(first)} "
                f"(now {_iso(now)}): its scheduler has not created it yet (behind, or "
                "the DAG's max_active_runs is reached). Wait until that run exists in "
                "Airflow (the DAG's next run then moves to the following interval), and "
                "run the command again"
            )
        first = now
    return DecommissionRecord(cron.cron, cron.timezone, _iso(first), cron.logical_date, not paused)


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat()


def _asset_keys(
    dag_id: str, condition: Condition | None, key_of: KeyOf | None
) -> tuple[tuple[str, ...], str]:
    dag = f"DAG {dag_id!r}"
    if key_of is None:
        raise CannotReplaceSchedule(
            f"{dag} is triggered by Airflow assets, which this instance does not show in "
            "Dagster: enable `airflow_assets: {enabled: true}` on the instance in "
            "airlift.yaml, run `airlift refresh`, reload Dagster, and run the command again"
        )
    if condition is None:
        raise CannotReplaceSchedule(f"Airflow gives no asset condition for {dag}; {_ASSETS_HINT}")
    [(kind, body)] = condition.items()
    mode, parts = ("any", [condition]) if kind == "asset" else (kind, body)
    if mode not in ("any", "all") or any(next(iter(part)) != "asset" for part in parts):
        raise CannotReplaceSchedule(
            f"{dag} is scheduled on {condition_text(condition)}: only one asset, `a | b` or "
            "`[a, b]` / `a & b` of plain assets map to a Dagster automation condition as "
            "they are (an alias or Asset.ref names assets only Airflow resolves, a nested "
            f"expression keeps per-branch state Dagster's condition would not); {_ASSETS_HINT}"
        )
    keys: list[str] = []
    for part in parts:
        asset = part["asset"]
        key = key_of(str(asset["uri"]), str(asset.get("name") or asset["uri"]))
        if key is None:
            raise CannotReplaceSchedule(
                f"{dag} is scheduled on Airflow asset {asset['uri']!r}, which the stored "
                "Airflow state does not hold: run `airlift refresh`, reload Dagster, and run "
                "the command again"
            )
        if key not in keys:
            keys.append(key)
    return tuple(keys), mode if len(keys) > 1 else "any"
