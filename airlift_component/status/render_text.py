"""`airlift proxy status` as an aligned plain-text table, with total lines."""

from __future__ import annotations

from collections.abc import Sequence

from airlift_component.config.problems import one_line
from airlift_component.status.checks import CheckOutcome, ChecksSection
from airlift_component.status.model import DagStatus, InstanceStatus, StatusReport, Totals

_HEADER = ("INSTANCE", "DAG", "MODE", "PROXIED", "PROGRESS", "NOTE")
_RIGHT = {3, 4}  # numeric columns are right-aligned


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def _proxied(dag: DagStatus) -> str:
    if dag.mode == "tasks":
        return f"{dag.tasks_proxied}/{dag.tasks_total}"
    if dag.mode == "dag":
        return "yes" if dag.dag_proxied else "no"
    return "-"


def _note(dag: DagStatus) -> str:
    notes = []
    if dag.decommissioned is not None:
        notes.append(dag.decommissioned.describe())
    if dag.mode == "no file":
        notes.append("mapped in airlift.yaml, no proxied-state file")
    if dag.mode == "broken":
        count = len(dag.problems)
        shown = one_line(str(dag.path))
        notes.append(f"{count} problem{'s' if count != 1 else ''}: airlift validate {shown}")
    if dag.mapped is False:
        notes.append("not mapped in airlift.yaml")
    return "; ".join(notes)


def _total_note(totals: Totals) -> str:
    parts = [f"{totals.dags_fully_proxied} fully proxied"]
    if totals.dags_dag_level:
        parts.append(f"{totals.dags_dag_level} DAG-level")
    if totals.dags_without_file:
        parts.append(f"{totals.dags_without_file} without file")
    if totals.dags_broken:
        parts.append(f"{totals.dags_broken} broken")
    if totals.dags_decommissioned:
        parts.append(f"{totals.dags_decommissioned} decommissioned")
    return ", ".join(parts)


def _total_row(label: str, name: str, totals: Totals) -> tuple[str, ...]:
    dags = f"{totals.dags} DAG{'s' if totals.dags != 1 else ''}"
    return (
        label,
        name,
        dags,
        f"{totals.tasks_proxied}/{totals.tasks_total}",
        _percent(totals.fraction),
        _total_note(totals),
    )


def _instance_rows(instance: InstanceStatus) -> list[tuple[str, ...]]:
    label = instance.label
    rows: list[tuple[str, ...]] = []
    if instance.note:
        rows.append((label, "", "", "", "", instance.note))
    for dag in instance.dags:
        mode = "DAG" if dag.state == "dag" else dag.state
        row = (label, dag.dag_id, mode, _proxied(dag), _percent(dag.fraction), _note(dag))
        rows.append(row)
    rows.append(_total_row(label, "total", instance.totals))
    return rows


def format_table(rows: Sequence[Sequence[str]], right: set[int] | None = None) -> str:
    """Rows as text columns separated by two spaces; trailing spaces trimmed."""
    right = right or set()
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _heading(instance: InstanceStatus) -> str:
    if instance.name is None:
        return one_line(f"proxied-state folder: {instance.directory}")
    where = f" ({instance.directory})" if instance.directory else ""
    return one_line(f"instance {instance.name}{where}")


def render_text(report: StatusReport) -> str:
    """The report as a table: one row per DAG, a total row per instance and overall.

    With a single instance or folder, its name becomes a heading line instead of
    a column.
    """
    rows: list[tuple[str, ...]] = [_HEADER]
    for instance in report.instances:
        rows.extend(_instance_rows(instance))
    if len(report.instances) > 1:
        rows.append(_total_row("TOTAL", "", report.totals))
    if not any(instance.dags for instance in report.instances):
        rows.append(("", "(no DAGs)", "", "", "", ""))
    checks = "".join(
        _checks_block(instance.label, instance.checks)
        for instance in report.instances
        if instance.checks is not None
    )
    if len(report.instances) == 1:
        heading = _heading(report.instances[0]) + "\n"
        return heading + format_table([row[1:] for row in rows], {i - 1 for i in _RIGHT}) + checks
    return format_table(rows, _RIGHT) + checks


_CHECK_HEADER = ("DAG", "TASK", "PROXIED", "CHECK", "BEFORE (AIRFLOW)", "AFTER (PROXIED)")


def _outcome(outcome: CheckOutcome | None) -> str:
    return "-" if outcome is None else outcome.describe()


def _checks_block(label: str, section: ChecksSection) -> str:
    """Acceptance checks of one instance: one row per check on a task's assets."""
    lines = [f"\nacceptance checks of {label} (Dagster at {section.dagster_url})\n"]
    if section.rows:
        rows: list[tuple[str, ...]] = [_CHECK_HEADER]
        for row in section.rows:
            flag = "-" if row.proxied is None else ("yes" if row.proxied else "no")
            rows.append(
                (
                    row.dag_id,
                    row.task_label,
                    flag,
                    row.check,
                    _outcome(row.before),
                    _outcome(row.after),
                )
            )
        lines.append(format_table(rows))
    lines.extend(one_line(note) + "\n" for note in section.notes)
    return "".join(lines)
