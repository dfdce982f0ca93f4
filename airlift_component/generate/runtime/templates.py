"""Rendering Airflow Jinja templates outside Airflow, with Airflow's names and rules.

The environment is Airflow's: a sandboxed Jinja environment, undefined names
are errors (``StrictUndefined``), the ``jinja2.ext.do`` extension, the
``ds``/``ds_nodash``/``ts``/``ts_nodash``/``ts_nodash_with_tz`` filters. The
context holds only the names in :data:`TEMPLATE_NAMES`; `airlift generate`
refuses templates using any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

#: The names a template may use, and the attributes allowed on the objects among them.
TEMPLATE_NAMES: dict[str, frozenset[str] | None] = {
    "ds": None,
    "ds_nodash": None,
    "ts": None,
    "ts_nodash": None,
    "ts_nodash_with_tz": None,
    "logical_date": None,
    "data_interval_start": None,
    "data_interval_end": None,
    "run_id": None,
    "task_instance_key_str": None,
    "params": None,
    "macros": frozenset({"ds_add", "ds_format", "datetime", "timedelta"}),
    "dag": frozenset({"dag_id"}),
    "task": frozenset({"task_id"}),
    "var": frozenset({"value", "json"}),
}


def ds_add(ds: str, days: int) -> str:
    """``ds`` (``YYYY-MM-DD``) plus ``days`` days, as Airflow's ``macros.ds_add``."""
    if not days:
        return str(ds)
    moved = datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=days)
    return moved.strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """``ds`` parsed with ``input_format`` and written with ``output_format``."""
    return datetime.strptime(str(ds), input_format).strftime(output_format)


class _Named:
    """``dag`` / ``task`` in a template: only the id is there."""

    def __init__(self, **values: str) -> None:
        self.__dict__.update(values)


class _Macros:
    ds_add = staticmethod(ds_add)
    ds_format = staticmethod(ds_format)
    datetime = datetime
    timedelta = timedelta


def _filter_ds(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value is not None else None


def _filter_ds_nodash(value: datetime | None) -> str | None:
    return value.strftime("%Y%m%d") if value is not None else None


def _filter_ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _filter_ts_nodash(value: datetime | None) -> str | None:
    return value.strftime("%Y%m%dT%H%M%S") if value is not None else None


def _filter_ts_nodash_with_tz(value: datetime | None) -> str | None:
    return value.isoformat().replace("-", "").replace(":", "") if value is not None else None


def date_context(logical_date: datetime | None) -> dict[str, Any]:
    """The names derived from the logical date, computed as Airflow computes them."""
    if logical_date is None:
        return {}
    ds = logical_date.strftime("%Y-%m-%d")
    ts = logical_date.isoformat()
    return {
        "logical_date": logical_date,
        "ds": ds,
        "ds_nodash": ds.replace("-", ""),
        "ts": ts,
        "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": ts.replace("-", "").replace(":", ""),
    }


def template_context(
    *,
    dag_id: str,
    task_id: str,
    run_id: str,
    logical_date: datetime | None,
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    params: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Every name of :data:`TEMPLATE_NAMES`, for one task of one run; ``var`` reads
    ``environ`` (default: this process's environment, as Airflow reads it)."""
    import os

    from airlift_component.generate.runtime.variables import variables_context

    context: dict[str, Any] = {
        **variables_context(os.environ if environ is None else environ),
        "run_id": run_id,
        "params": dict(params),
        "macros": _Macros(),
        "dag": _Named(dag_id=dag_id),
        "task": _Named(task_id=task_id),
        "task_instance_key_str": f"{dag_id}__{task_id}__{run_id}",
    }
    dates = date_context(logical_date)
    if dates:
        context.update(dates)
        context["task_instance_key_str"] = f"{dag_id}__{task_id}__{dates['ds_nodash']}"
        context["data_interval_start"] = data_interval_start
        context["data_interval_end"] = data_interval_end
    return context


def environment() -> Any:
    """A Jinja environment like Airflow's: sandboxed, strict, ``do``, its date filters."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"], cache_size=0
    )
    env.filters.update(
        {
            "ds": _filter_ds,
            "ds_nodash": _filter_ds_nodash,
            "ts": _filter_ts,
            "ts_nodash": _filter_ts_nodash,
            "ts_nodash_with_tz": _filter_ts_nodash_with_tz,
        }
    )
    return env


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """``template`` rendered in Airflow's Jinja environment with ``context``."""
    return str(environment().from_string(template).render(**context))


def render_nested(value: Any, context: Mapping[str, Any]) -> Any:
    """``value`` with every string in it rendered (lists, tuples, dicts and sets), as
    Airflow renders an operator's templated fields."""
    if isinstance(value, str):
        return render_template(value, context)
    if isinstance(value, list | tuple | set):
        return type(value)(render_nested(v, context) for v in value)
    if isinstance(value, dict):
        return {k: render_nested(v, context) for k, v in value.items()}
    return value
