"""Which Airflow runs of a decommissioned DAG stand for an interval that is Dagster's.

Once ``airlift decommission`` moved a DAG's schedule to Dagster, its mapping in
airlift.yaml carries ``decommissioned.first_tick``: the first tick the Dagster
schedule runs (for a DAG scheduled on Airflow assets, the moment Airflow
stopped). Every interval that ends at or after it is Dagster's; the earlier ones
were Airflow's. An Airflow run is placed by the end of the data interval
Airflow gave it, which is the tick that started it (Airflow 2's cron and
timedelta schedules, Airflow 3's cron, an asset-triggered run's last event):

* it ends before ``first_tick``: Airflow's interval (a late run, a retry or a
  clear of a run Airflow owned), recorded as any run is;
* it ends at or after ``first_tick``: Dagster's interval, which the schedule's
  run covers; Airflow ran it by mistake (the DAG was unpaused, or triggered by
  hand). It is not recorded, its state is remembered as handled, and the tick
  that would have recorded something of it (a successful try, a completion)
  logs one warning naming the DAG, the run and the boundary.

A run sent without a data interval is placed by its logical date, and without
one either by its start date. A logical date is the start of the interval on
Airflow 2, so such a run of the interval just before the boundary is counted as
Airflow's and recorded: the boundary errs towards recording, never towards a gap.
Imports no Dagster and no Airflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from airlift_component.airflow_api.types import DagRun
from airlift_component.config.airlift_yaml.model import DagMapping


def parse_first_tick(text: str) -> datetime:
    """``first_tick`` of a ``decommissioned:`` block as an aware datetime (the model's
    pattern guarantees an offset or ``Z``)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:  # not reachable through the model; read as UTC, not local
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def first_ticks(mappings: Iterable[DagMapping]) -> dict[str, datetime]:
    """The first Dagster tick of each decommissioned DAG of ``mappings``, by DAG id."""
    return {
        mapping.dag: parse_first_tick(mapping.decommissioned.first_tick)
        for mapping in mappings
        if mapping.decommissioned is not None
    }


def run_moment(run: DagRun) -> datetime | None:
    """Where ``run`` stands in time: its data interval's end, else its logical date,
    else its start date (see the module docstring)."""
    return run.data_interval_end or run.logical_date or run.start_date


def dagster_owns(run: DagRun, boundaries: Mapping[str, datetime]) -> datetime | None:
    """The first tick of ``run``'s DAG when the interval ``run`` stands for is
    Dagster's (its DAG is decommissioned and it ends at or after the first tick);
    ``None`` when the run is Airflow's to record."""
    first = boundaries.get(run.dag_id)
    if first is None:
        return None
    moment = run_moment(run)
    if moment is None or moment < first:
        return None
    return first


def skipped_warning(run: DagRun, first: datetime) -> str:
    """The tick's warning about a run of Dagster's interval that Airflow ran."""
    moment = run_moment(run)
    placed = "data interval ends" if run.data_interval_end is not None else "run stands for"
    when = moment.isoformat() if moment is not None else "?"
    return (
        f"DAG {run.dag_id!r} is decommissioned (its schedule runs in Dagster from "
        f"{first.isoformat()}), but Airflow ran it: run {run.run_id!r} ({run.state}), whose "
        f"{placed} {when}, stands for an interval the Dagster schedule covers, so it is not "
        "recorded. Pause the DAG in Airflow, or undo the decommission with "
        f"`airlift decommission {run.dag_id} --undo`"
    )
