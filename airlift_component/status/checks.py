"""Acceptance checks in `airlift proxy status`: one row per check on a task's assets.

Plain records, filled by the command from Dagster's GraphQL API
(:mod:`airlift_component.cli.proxy_checks`) and shown by the renderers.
``before`` is the latest evaluation of a materialization the sensor recorded
from Airflow, ``after`` the latest of one made by a Dagster run that a proxied
task launched (see :mod:`airlift_component.dagster_api.checks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

#: What each execution status is called in the tables.
_WORDS = {
    "SUCCEEDED": "passed",
    "FAILED": "FAILED",
    "EXECUTION_FAILED": "ERROR",
    "IN_PROGRESS": "running",
    "SKIPPED": "skipped",
}


@dataclass(frozen=True)
class CheckOutcome:
    """One execution of a check: its status, when, in which Dagster run."""

    status: str  # Dagster's: SUCCEEDED, FAILED, EXECUTION_FAILED, IN_PROGRESS, SKIPPED
    timestamp: float
    run_id: str

    @property
    def word(self) -> str:
        """``passed``, ``FAILED``, ``ERROR`` (the check raised), ``running``, ``skipped``."""
        return _WORDS.get(self.status, self.status.lower())

    @property
    def when(self) -> str:
        moment = datetime.fromtimestamp(self.timestamp, timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M UTC")

    def describe(self) -> str:
        return f"{self.word} {self.when}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "timestamp": self.timestamp,
            "time": datetime.fromtimestamp(self.timestamp, timezone.utc).isoformat(),
            "run_id": self.run_id,
        }


@dataclass(frozen=True)
class CheckRow:
    """One check on one task's assets (``task_id`` None: the DAG's own assets)."""

    dag_id: str
    task_id: str | None
    check: str  # "asset/key:check_name"
    proxied: bool | None  # the task's flag (the DAG-level flag for the DAG row)
    before: CheckOutcome | None = None
    after: CheckOutcome | None = None
    latest: CheckOutcome | None = None

    @property
    def task_label(self) -> str:
        return self.task_id if self.task_id is not None else "(DAG)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "check": self.check,
            "proxied": self.proxied,
            "before": None if self.before is None else self.before.as_dict(),
            "after": None if self.after is None else self.after.as_dict(),
            "latest": None if self.latest is None else self.latest.as_dict(),
        }


@dataclass
class ChecksSection:
    """The acceptance checks of one instance, or why they are not shown."""

    dagster_url: str | None = None
    rows: list[CheckRow] = field(default_factory=list)
    #: Why there are no rows, or what is partly missing (a DAG Dagster has not loaded).
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dagster_url": self.dagster_url,
            "notes": list(self.notes),
            "rows": [row.as_dict() for row in self.rows],
        }
