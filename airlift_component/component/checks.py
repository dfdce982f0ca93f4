"""Acceptance checks declared in ``airlift.yaml`` (``checks:`` on a mapped asset or a DAG).

Each entry becomes Dagster asset checks on its key, built the way Dagster builds
them, so they run the same whether the sensor recorded the materialization from
Airflow or a proxied task made it in Dagster:

* ``type: freshness`` — :func:`dagster.build_last_update_freshness_checks` with
  ``lower_bound_delta`` = ``max_lag``, or, without it, the longest gap between two
  ticks of the DAG's cron schedule as ``airlift refresh`` fetched it. Like any check
  on the key, it is evaluated once per update: in the airlift sensor's run of checks
  for each Airflow run it records, and in a proxied task's Dagster run. Between
  updates, a sensor per instance (:func:`freshness_sensor`, started like the
  instance's own sensor) evaluates it only when time alone may have made it stale
  (:mod:`airlift_component.component.freshness_between_runs`).
* ``type: code`` — an ``@asset_check`` (or ``@multi_asset_check``) on that key, or a
  factory called with the key's :class:`~dagster.AssetKey` returning checks on it.

Only keys with ``checks:`` cost anything here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import dagster as dg

from airlift_component.component.code_refs import CodeSite, import_ref
from airlift_component.component.freshness_between_runs import between_runs_sensor
from airlift_component.config.airlift_yaml.model import Check, CodeCheck, FreshnessCheck
from airlift_component.decommission.cron import PRESETS

log = logging.getLogger("airlift_component")

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: Consecutive ticks looked at to find a cron's longest gap (covers weekends, months).
_TICKS = 60


@dataclass(frozen=True)
class CheckTarget:
    """The checks declared on one asset key, the DAG it belongs to and where they are."""

    key: dg.AssetKey
    dag: str
    checks: Sequence[Check]
    site: CodeSite


def parse_duration(text: str) -> timedelta:
    """``90m``, ``26h``, ``2d`` (the model's pattern) as a :class:`timedelta`."""
    return timedelta(seconds=int(text[:-1]) * _UNIT_SECONDS[text[-1]])


def schedule_cron(schedule: str | None) -> str | None:
    """The cron of an Airflow schedule (a cron or a preset), ``None`` for any other
    (``None``, ``@once``, a timedelta, a dataset or asset trigger)."""
    if not schedule:
        return None
    text = schedule.strip()
    if text in PRESETS:
        return PRESETS[text]
    fields = text.split()
    return text if len(fields) == 5 and not text.startswith("@") else None


@lru_cache(maxsize=256)
def cron_interval(cron: str) -> timedelta:
    """The longest gap between two consecutive ticks of ``cron`` (UTC), over
    :data:`_TICKS` ticks; :class:`ValueError` for a cron Dagster does not accept."""
    try:
        ticks = dg.TimeWindowPartitionsDefinition(
            cron_schedule=cron, start=datetime(2001, 1, 1), fmt="%Y-%m-%d-%H:%M"
        )
    except dg.DagsterInvalidDefinitionError as exc:
        raise ValueError(str(exc)) from None
    longest = timedelta(0)
    window = ticks.get_next_partition_window(datetime(2001, 1, 1))
    for _ in range(_TICKS):
        if window is None:
            break
        longest = max(longest, window.end - window.start)
        window = ticks.get_next_partition_window(window.end)
    return longest


def _freshness_lag(
    check: FreshnessCheck, target: CheckTarget, schedules: Mapping[str, str | None], index: int
) -> timedelta | None:
    """The check's lag; ``None`` (logged) when it comes from a DAG with no stored state."""
    if check.max_lag is not None:
        return parse_duration(check.max_lag)
    site = _site(target, index, "type")
    if target.dag not in schedules:
        log.warning(
            "%s: the freshness check of %s is left out: DAG %r has no Airflow state, so "
            "its schedule is unknown; run `airlift refresh` (or `dg utils refresh-defs-state`), "
            "or give max_lag",
            target.site.path,
            target.key.to_user_string(),
            target.dag,
        )
        return None
    schedule = schedules[target.dag]
    cron = schedule_cron(schedule)
    if cron is None:
        raise site.problem(
            f"freshness of {target.key.to_user_string()}: DAG {target.dag!r} is not on a "
            f"cron schedule (schedule: {schedule!r}), so the lag cannot come from it",
            hint="give max_lag:, e.g. 26h",
        )
    try:
        return cron_interval(cron)
    except ValueError as exc:
        raise site.problem(
            f"freshness of {target.key.to_user_string()}: DAG {target.dag!r}'s schedule "
            f"{schedule!r} is not a cron Dagster reads ({exc})",
            hint="give max_lag:, e.g. 26h",
        ) from None


def _check_cron(cron: str, site: CodeSite) -> None:
    try:
        cron_interval(cron)
    except ValueError as exc:
        raise site.problem(
            f"deadline_cron {cron!r} is not a cron Dagster reads ({exc})",
            hint='write five fields, e.g. "0 9 * * *"',
        ) from None


def _site(target: CheckTarget, index: int, field: str) -> CodeSite:
    s = target.site
    return CodeSite(s.path, s.instance, s.dag, s.task, s.asset, check=index, field=field)


def _code_checks(
    check: CodeCheck, target: CheckTarget, index: int
) -> list[dg.AssetChecksDefinition]:
    site = _site(target, index, "code")
    value = import_ref(check.code, site)
    if isinstance(value, dg.AssetChecksDefinition):
        found: object = [value]
    elif callable(value) and not isinstance(value, dg.AssetsDefinition):
        try:
            found = value(target.key)
        except Exception as exc:  # the user's factory may raise anything
            raise site.problem(
                f"code {check.code!r}: the check factory raised {type(exc).__name__}: {exc}",
                hint="a factory is called with the asset's AssetKey and returns its checks",
            ) from None
        if isinstance(found, dg.AssetChecksDefinition):
            found = [found]
    else:
        raise site.problem(
            f"code {check.code!r} is a {type(value).__name__}, not a Dagster asset check",
            hint="point it at an @asset_check, or a function that takes the AssetKey and "
            "returns checks",
        )
    checks = list(found) if isinstance(found, Iterable) else [found]
    if not checks or not all(isinstance(c, dg.AssetChecksDefinition) for c in checks):
        raise site.problem(
            f"code {check.code!r}: the factory returned {type(found).__name__}, not asset checks",
            hint="return an AssetChecksDefinition or a list of them",
        )
    for definition in checks:
        for check_key in definition.check_keys:
            if check_key.asset_key != target.key:
                raise site.problem(
                    f"code {check.code!r} checks {check_key.asset_key.to_user_string()}, "
                    f"not {target.key.to_user_string()} where it is declared",
                    hint=f"declare it under {check_key.asset_key.to_user_string()}, or write "
                    f'@asset_check(asset="{target.key.to_user_string()}")',
                )
    return checks


def build_checks(
    targets: Sequence[CheckTarget], schedules: Mapping[str, str | None]
) -> tuple[list[dg.AssetChecksDefinition], list[dg.AssetChecksDefinition]]:
    """The checks of ``targets``: ``(freshness checks, the others)``. ``schedules`` holds
    each DAG's schedule as fetched (a DAG missing from it has no stored state)."""
    freshness: dict[tuple[timedelta, str | None], list[dg.AssetKey]] = {}
    fresh_keys: set[dg.AssetKey] = set()
    others: list[dg.AssetChecksDefinition] = []
    seen: set[int] = set()
    for target in targets:
        for index, check in enumerate(target.checks):
            if isinstance(check, FreshnessCheck):
                if target.key in fresh_keys:
                    raise _site(target, index, "type").problem(
                        f"{target.key.to_user_string()} has two freshness checks",
                        hint="keep one (Dagster allows one freshness check per asset)",
                    )
                fresh_keys.add(target.key)
                lag = _freshness_lag(check, target, schedules, index)
                if lag is None:
                    continue
                if check.deadline_cron is not None:
                    _check_cron(check.deadline_cron, _site(target, index, "deadline_cron"))
                freshness.setdefault((lag, check.deadline_cron), []).append(target.key)
            else:
                for definition in _code_checks(check, target, index):
                    if id(definition) not in seen:
                        seen.add(id(definition))
                        others.append(definition)
    built: list[dg.AssetChecksDefinition] = []
    for (lag, cron), keys in freshness.items():
        built += dg.build_last_update_freshness_checks(
            assets=keys, lower_bound_delta=lag, deadline_cron=cron
        )
    return built, others


def freshness_sensor(
    instance: str, checks: Sequence[dg.AssetChecksDefinition], running: bool
) -> dg.SensorDefinition:
    """The sensor that evaluates ``checks`` between updates, when a missing update may
    have made one stale (never a second time for an update its own run judged)."""
    return between_runs_sensor(instance, checks, running)
