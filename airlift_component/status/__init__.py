"""Migration progress: which DAGs and tasks run in Dagster (`airlift proxy status`).

:mod:`.locate` finds the proxied-state folders, :mod:`.model` collects the
numbers (:mod:`.decommissioned` reads the decommissioned DAGs from airlift.yaml),
and ``render_text`` / ``render_json`` / ``render_html`` show them.
"""

from __future__ import annotations

from airlift_component.status.model import (
    DagStatus,
    InstanceStatus,
    StatusReport,
    Totals,
    build_report,
)

__all__ = ["DagStatus", "InstanceStatus", "StatusReport", "Totals", "build_report"]
