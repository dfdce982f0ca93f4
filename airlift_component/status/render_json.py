"""`airlift proxy status --format json`: the report as one JSON document.

Shape (stable; add keys, never rename)::

    {"totals": {...}, "instances": [{"instance", "directory", "config", "note",
     "folder_missing", "totals": {...}, "dags": [{"dag_id", "mode", "path", "tasks_proxied",
     "tasks_total", "dag_proxied", "mapped", "progress", "problems"}],
     "checks": null | {"dagster_url", "notes": [...], "rows": [{"dag_id", "task_id",
     "check", "proxied", "before", "after", "latest"}]}}],
     "checks_note": "..."}

``mode`` is ``tasks``, ``dag``, ``no file`` or ``broken``; ``progress`` is 0..1.
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
