"""The Airflow run a generated asset stands for, read from its Dagster run's tags.

A proxied Airflow task launches its Dagster run tagged with the Airflow
instance, DAG, run id, task and try (``airlift/airflow_*``, see
:mod:`airlift_component.mapping_tags`). From those, :func:`airflow_run` reads
the DAG run from Airflow's REST API (the instance as ``airlift.yaml`` defines
it, secrets from the environment): its logical date, data interval and conf.

A run the schedule of a decommissioned DAG launched (``airlift decommission``)
carries the logical date and data interval Airflow would have given the same run
as tags (``airlift/logical_date``, ``airlift/data_interval_start``,
``airlift/data_interval_end``): they are used as they are, so ``ds``,
``data_interval_start`` and the rest render as in Airflow; its run id is the one
Airflow gives a scheduled run, ``scheduled__<logical date>``; its params are the
DAG's defaults, and it reads no XComs (there is no Airflow run).

A run launched from Dagster alone has no Airflow run: its logical date and
both ends of its data interval are the time it starts (UTC, whole seconds), its
run id is ``dagster__<Dagster run id>``, its params are the DAG's defaults, and
it cannot read upstream XComs (:meth:`AirflowRun.xcom` raises).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from airlift_component.errors import AirliftError
from airlift_component.generate.runtime.templates import (
    render_nested,
    render_template,
    template_context,
)
from airlift_component.mapping_tags import (
    AIRFLOW_DAG_TAG,
    AIRFLOW_INSTANCE_TAG,
    AIRFLOW_RUN_TAG,
    AIRFLOW_TRY_TAG,
    DATA_INTERVAL_END_TAG,
    DATA_INTERVAL_START_TAG,
    LOGICAL_DATE_TAG,
)

XComReader = Callable[[str, str], Any]


class AirflowRunError(AirliftError):
    """The Airflow run behind a Dagster run cannot be read, or lacks what the task needs."""


@dataclass(frozen=True)
class AirflowRun:
    """One task of one Airflow DAG run, as the generated asset sees it."""

    dag_id: str
    task_id: str
    run_id: str
    logical_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None
    params: Mapping[str, Any] = field(default_factory=dict)
    try_number: int | None = None
    #: True when an Airflow task launched the Dagster run.
    from_airflow: bool = False
    xcom_reader: XComReader | None = field(default=None, repr=False, compare=False)

    def template_context(self) -> dict[str, Any]:
        """The names a template may use, with this run's values."""
        return template_context(
            dag_id=self.dag_id,
            task_id=self.task_id,
            run_id=self.run_id,
            logical_date=self.logical_date,
            data_interval_start=self.data_interval_start,
            data_interval_end=self.data_interval_end,
            params=self.params,
        )

    def render(self, template: str) -> str:
        """``template`` rendered as Airflow renders it for this run."""
        return render_template(template, self.template_context())

    def render_nested(self, value: Any) -> Any:
        """Every string inside ``value`` rendered (an operator's templated field)."""
        return render_nested(value, self.template_context())

    def xcom(self, task_id: str, key: str = "return_value") -> Any:
        """The XCom ``key`` that ``task_id`` pushed in this Airflow run."""
        if self.xcom_reader is None:
            raise AirflowRunError(
                f"task {self.task_id!r} reads the XCom {key!r} of task {task_id!r}, and this "
                "Dagster run was not launched by Airflow: run it from Airflow (proxied), "
                "where that XCom exists"
            )
        return self.xcom_reader(task_id, key)

    def airflow_env(self) -> dict[str, str]:
        """The ``AIRFLOW_CTX_*`` variables Airflow puts in a Bash task's environment."""
        env = {
            "AIRFLOW_CTX_DAG_ID": self.dag_id,
            "AIRFLOW_CTX_TASK_ID": self.task_id,
            "AIRFLOW_CTX_DAG_RUN_ID": self.run_id,
        }
        if self.logical_date is not None:
            env["AIRFLOW_CTX_LOGICAL_DATE"] = self.logical_date.isoformat()
            env["AIRFLOW_CTX_EXECUTION_DATE"] = self.logical_date.isoformat()
        if self.try_number is not None:
            env["AIRFLOW_CTX_TRY_NUMBER"] = str(self.try_number)
        return env


def airflow_run(
    tags: Mapping[str, str],
    dagster_run_id: str,
    *,
    dag_id: str,
    task_id: str,
    params: Mapping[str, Any],
    config: Path,
    now: datetime | None = None,
) -> AirflowRun:
    """The Airflow run a Dagster run (its ``tags`` and id) stands for.

    ``dag_id``, ``task_id`` and ``params`` are the task's as the DAG file defines them;
    ``config`` is the ``airlift.yaml`` whose instance the tags name. A run that an
    Airflow task launched is read from Airflow (its conf overrides ``params``, as
    Airflow's ``dag_run_conf_overrides_params`` does by default); any other run gets
    the values the module docstring lists.
    """
    instance, run_id = tags.get(AIRFLOW_INSTANCE_TAG), tags.get(AIRFLOW_RUN_TAG)
    if (not instance or not run_id) and tags.get(LOGICAL_DATE_TAG):
        return scheduled_run(tags, dag_id=dag_id, task_id=task_id, params=params)
    if not instance or not run_id:
        start = (now or datetime.now(timezone.utc)).replace(microsecond=0)
        return AirflowRun(
            dag_id, task_id, f"dagster__{dagster_run_id}", start, start, start, dict(params)
        )
    from airlift_component.generate.runtime.rest import AirflowReader

    airflow_dag = tags.get(AIRFLOW_DAG_TAG) or dag_id
    reader = AirflowReader(config, instance)
    record = reader.dag_run(airflow_dag, run_id)
    try_tag = tags.get(AIRFLOW_TRY_TAG, "")
    return AirflowRun(
        dag_id=airflow_dag,
        task_id=task_id,
        run_id=run_id,
        logical_date=record.logical_date,
        data_interval_start=record.data_interval_start,
        data_interval_end=record.data_interval_end,
        params={**params, **record.conf},
        try_number=int(try_tag) if try_tag.isdigit() else None,
        from_airflow=True,
        xcom_reader=lambda task, key: reader.xcom(airflow_dag, run_id, task, key),
    )


def scheduled_run(
    tags: Mapping[str, str], *, dag_id: str, task_id: str, params: Mapping[str, Any]
) -> AirflowRun:
    """The run of a decommissioned DAG's Dagster schedule: the logical date and data
    interval its tags carry (see the module docstring). A missing data interval tag
    is the logical date (a trigger timetable's zero-length interval)."""
    logical = _tag_date(tags, LOGICAL_DATE_TAG)
    start = (
        _tag_date(tags, DATA_INTERVAL_START_TAG) if tags.get(DATA_INTERVAL_START_TAG) else logical
    )
    end = _tag_date(tags, DATA_INTERVAL_END_TAG) if tags.get(DATA_INTERVAL_END_TAG) else logical
    return AirflowRun(
        dag_id,
        task_id,
        f"scheduled__{logical.isoformat()}",
        logical,
        start,
        end,
        dict(params),
    )


def _tag_date(tags: Mapping[str, str], name: str) -> datetime:
    text = tags.get(name, "")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise AirflowRunError(
            f"the Dagster run's tag {name} is {text!r}, not an ISO 8601 date with an offset; "
            "the decommissioned DAG's schedule sets it: launch the run from that schedule, "
            "or set the tag as it does (e.g. 2026-03-29T01:00:00+00:00)"
        )
    return moment.astimezone(timezone.utc)


def xcom_value(value: Any) -> Any:
    """``value`` as a Dagster metadata value Airflow takes back as the task's XCom:
    JSON (dict or list), text, int, float, bool or None. Others are refused, naming
    the type: Airflow would have needed them serializable too."""
    import json

    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple | dict):
        try:
            return json.loads(json.dumps(value))
        except (TypeError, ValueError) as exc:
            raise AirflowRunError(
                f"the task returned a {type(value).__name__} that is not JSON ({exc}); "
                "return JSON-serializable data (or a path to it)"
            ) from None
    raise AirflowRunError(
        f"the task returned a {type(value).__name__}; return JSON, text, a number, "
        "a bool or None so Airflow can keep it as the task's XCom"
    )
