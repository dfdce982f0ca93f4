"""`airlift proxy status --format html`: a small self-contained page to share.

One section per instance with its progress bar, then a bar per DAG. Styles are
inline; there is no JavaScript and nothing is fetched, so the file can be mailed
or attached to a ticket. Every name is HTML-escaped.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape

from airlift_component.status.checks import CheckOutcome, CheckRow, ChecksSection
from airlift_component.status.model import DagStatus, InstanceStatus, StatusReport, Totals

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d2330}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.meta{color:#667;font-size:.85rem}
table{border-collapse:collapse;width:100%;max-width:60rem}
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #e3e6ee}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{background:#e8ebf2;border-radius:4px;height:.8rem;width:12rem;overflow:hidden}
.bar>span{display:block;height:100%;background:#4f46e5}
.bar.big{height:1.1rem;width:24rem;max-width:100%}
.note{color:#8a5a00}.broken{color:#b42318}
h3{font-size:1rem;margin:1.2rem 0 .4rem}
.ok{color:#067647}.bad{color:#b42318;font-weight:600}.none{color:#667}
"""


def _bar(fraction: float, label: str, big: bool = False) -> str:
    percent = max(0.0, min(fraction, 1.0)) * 100
    return (
        f'<div class="bar{" big" if big else ""}" role="progressbar" aria-label="{escape(label)}" '
        f'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{percent:.0f}">'
        f'<span style="width:{percent:.1f}%"></span></div>'
    )


def _summary(totals: Totals) -> str:
    decommissioned = (
        f"{totals.dags_decommissioned} decommissioned · " if totals.dags_decommissioned else ""
    )
    return (
        f"{totals.tasks_proxied}/{totals.tasks_total} tasks proxied · "
        f"{totals.dags_fully_proxied}/{totals.dags} DAGs fully proxied · {decommissioned}"
        f"{totals.fraction * 100:.0f}%"
    )


def _proxied(dag: DagStatus) -> str:
    if dag.mode == "tasks":
        return f"{dag.tasks_proxied}/{dag.tasks_total} tasks"
    if dag.mode == "dag":
        return "whole DAG" if dag.dag_proxied else "whole DAG: not yet"
    return "no file" if dag.mode == "no file" else "broken file"


def _dag_row(dag: DagStatus) -> str:
    notes = []
    if dag.decommissioned is not None:
        notes.append(
            f'<span class="ok">decommissioned</span> '
            f'<span class="meta">{escape(dag.decommissioned.describe())}</span>'
        )
    if dag.mode == "broken":
        notes.append(f'<span class="broken">{len(dag.problems)} problem(s)</span>')
    if dag.mapped is False:
        notes.append('<span class="note">not mapped in airlift.yaml</span>')
    return (
        f"<tr><td>{escape(dag.dag_id)}</td><td>{escape(_proxied(dag))}</td>"
        f'<td>{_bar(dag.fraction, dag.dag_id)}</td><td class="num">{dag.fraction * 100:.0f}%</td>'
        f"<td>{' '.join(notes)}</td></tr>"
    )


def _section(instance: InstanceStatus) -> str:
    parts = [f"<section><h2>{escape(instance.label)}</h2>"]
    if instance.directory:
        parts.append(f'<p class="meta">{escape(instance.directory)}</p>')
    if instance.note:
        parts.append(f'<p class="note">{escape(instance.note)}</p>')
    totals = instance.totals
    parts.append(_bar(totals.fraction, instance.label, big=True))
    parts.append(f'<p class="meta">{escape(_summary(totals))}</p>')
    parts.append(
        "<table><thead><tr><th>DAG</th><th>Proxied</th><th>Progress</th><th></th><th></th>"
        "</tr></thead><tbody>"
    )
    parts.extend(_dag_row(dag) for dag in instance.dags)
    parts.append("</tbody></table>")
    if instance.checks is not None:
        parts.append(_checks(instance.checks))
    parts.append("</section>")
    return "\n".join(parts)


def _cell(outcome: CheckOutcome | None) -> str:
    if outcome is None:
        return '<td class="none">not evaluated</td>'
    css = "ok" if outcome.status == "SUCCEEDED" else "bad"
    return (
        f'<td class="{css}" title="Dagster run {escape(outcome.run_id)}">'
        f'{escape(outcome.word)} <span class="meta">{escape(outcome.when)}</span></td>'
    )


def _check_row(row: CheckRow) -> str:
    flag = "" if row.proxied is None else ("yes" if row.proxied else "no")
    return (
        f"<tr><td>{escape(row.dag_id)}</td><td>{escape(row.task_label)}</td>"
        f"<td>{flag}</td><td>{escape(row.check)}</td>{_cell(row.before)}{_cell(row.after)}</tr>"
    )


def _checks(section: ChecksSection) -> str:
    """The instance's acceptance checks: latest outcome before and after the flip."""
    parts = [
        "<h3>Acceptance checks</h3>",
        f'<p class="meta">From Dagster at {escape(section.dagster_url or "")}. Before: the '
        "latest evaluation of what Airflow produced; after: of a proxied task's Dagster run.</p>",
    ]
    if section.rows:
        parts.append(
            "<table><thead><tr><th>DAG</th><th>Task</th><th>Proxied</th><th>Check</th>"
            "<th>Before (Airflow)</th><th>After (proxied)</th></tr></thead><tbody>"
        )
        parts.extend(_check_row(row) for row in section.rows)
        parts.append("</tbody></table>")
    parts.extend(f'<p class="note">{escape(note)}</p>' for note in section.notes)
    return "\n".join(parts)


def render_html(report: StatusReport, *, generated: datetime | None = None) -> str:
    """The report as a complete HTML document (UTF-8, inline CSS, no scripts)."""
    when = (generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    totals = report.totals
    body = "\n".join(_section(instance) for instance in report.instances)
    if report.checks_note:
        body += f'\n<p class="note">{escape(report.checks_note)}</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Airflow to Dagster migration</title><style>{_CSS}</style></head>\n<body>"
        "<h1>Airflow to Dagster migration</h1>"
        f'<p class="meta">Generated {escape(when)} by airlift proxy status</p>'
        f"{_bar(totals.fraction, 'overall', big=True)}"
        f'<p class="meta">{escape(_summary(totals))}</p>\n{body}\n</body></html>\n'
    )
