"""`airlift proxy status --format json`: the report as one JSON document.

Shape (stable; add keys, never rename)::

    {"totals": {...}, "instances": [{"instance", "directory", "config", "note",
     "folder_missing", "totals": {...}, "dags": [{"dag_id", "mode", "state", "path",
     "tasks_proxied", "tasks_total", "dag_proxied", "mapped", "progress", "problems",
     "decommissioned"}],
     "checks": null | {"dagster_url", "notes": [...], "rows": [{"dag_id", "task_id",
     "check", "proxied", "before", "after", "latest"}]}}],
     "checks_note": "..."}

``mode`` is ``tasks``, ``dag``, ``no file`` or ``broken``; ``state`` is
``decommissioned`` for a DAG whose schedule moved to Dagster, else the mode;
``decommissioned`` is null or ``{"cron", "timezone", "on_assets",
"on_assets_updated", "first_tick", "paused_by_airlift"}`` (``cron`` and
``timezone``, or ``on_assets`` and ``on_assets_updated``, are null);
``progress`` is 0..1 (1 once decommissioned).
``checks`` is null without a Dagster URL (``checks_note`` says so); ``before``,
``after`` and ``latest`` are null or ``{"status", "timestamp", "time", "run_id"}``
(``task_id`` null: the DAG's own assets).
"""

from __future__ import annotations

import json

from airlift_component.status.model import StatusReport


def render_json(report: StatusReport) -> str:
    """The report as indented JSON, ending with a newline."""
    return json.dumps(report.as_dict(), indent=2) + "\n"
