"""The "Dagster run" button on proxy tasks, and the Airflow URL a Dagster run carries.

A proxy task remembers the Dagster run its try launched (or reused) as an XCom
(:data:`RUN_URL_XCOM_KEY`) as soon as the run is known, so the link works while
the run is still going and after the task failed. :class:`DagsterRunLink` shows it:

- **Airflow 3** needs nothing more: the worker evaluates the link when the task
  ends and the UI and REST API read what it stored.
- **Airflow 2** evaluates links in the webserver, which only knows link classes
  registered by a plugin: :class:`airflow_side.plugin.AirliftPlugin`, which the
  installed package registers through its ``airflow.plugins`` entry point (see
  ``docs/airflow-side.md``). Without it the task runs the same; the button is missing.
"""

from __future__ import annotations

from typing import Any

import attrs

from airflow_side._compat import AIRFLOW_3, BaseOperatorLink
from airflow_side.redaction import redact_url
from airlift_component.mapping_tags import TASK_INSTANCE_URL_TAG

__all__ = ["RUN_URL_XCOM_KEY", "TASK_INSTANCE_URL_TAG", "DagsterRunLink"]

#: XCom key holding the URL of the Dagster run behind a proxy task's try.
RUN_URL_XCOM_KEY = "airlift_dagster_run_url"
#: Operator attribute the worker's own copy of the link reads (Airflow 3).
_RUN_URL_ATTR = "_airlift_dagster_run_url"


@attrs.define
class DagsterRunLink(BaseOperatorLink):
    """Operator extra link "Dagster run": the Dagster run the task's try launched or followed.

    An ``attrs`` class without fields, as Airflow 2 serializes links with
    ``attrs.asdict``.
    """

    name = "Dagster run"

    @property
    def xcom_key(self) -> str:
        # Airflow 3 stores the evaluated link under this key; it is the key the
        # operator writes while it runs, so the button appears as soon as the run does.
        return RUN_URL_XCOM_KEY

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        remembered = getattr(operator, _RUN_URL_ATTR, None)
        if remembered:  # Airflow 3: asked by the worker that ran the task
            return _web_url(remembered)
        if AIRFLOW_3:
            return ""
        from airflow.models.xcom import XCom  # Airflow 2: asked by the webserver

        return _web_url(XCom.get_value(ti_key=ti_key, key=RUN_URL_XCOM_KEY))


def _web_url(value: Any) -> str:
    """``value`` when it is an http(s) URL, else "" (no ``javascript:`` button)."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith(("http://", "https://")) else ""


def remember_run_url(operator: Any, context: Any, url: str) -> None:
    """Record ``url`` as the task's Dagster run: on the operator and as an XCom."""
    setattr(operator, _RUN_URL_ATTR, url)
    ti = context.get("ti") if hasattr(context, "get") else None
    push = getattr(ti, "xcom_push", None)
    if callable(push):
        push(key=RUN_URL_XCOM_KEY, value=url)


def task_instance_url(context: Any) -> str | None:
    """The Airflow UI page of the running task instance, without ``user:password@``;
    ``None`` when Airflow cannot say (no task instance, no base URL configured)."""
    ti = context.get("ti") if hasattr(context, "get") else None
    try:
        url = getattr(ti, "log_url", None)
    except Exception:  # log_url reads Airflow's config; a missing key must not fail the task
        return None
    return redact_url(url) if isinstance(url, str) and url.startswith("http") else None
