"""Drift between ``airlift.yaml`` and a live Airflow: what the mapping no longer matches.

Results are collected in :class:`DriftReport` apart from how they are printed
(:func:`render_text`, :func:`render_json`). A decommissioned DAG (its mapping has
``decommissioned:``, its schedule runs in Dagster) is expected to be paused in
Airflow: paused, it is no drift and its tasks are not compared (Airflow no longer
runs them); unpaused, both orchestrators run it, and the report warns with the
fix. Imports no Dagster.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from airlift_component.airflow_state.proxied import is_whole_dag_proxy_task
from airlift_component.airflow_state.state import AirflowState, DagState
from airlift_component.airflow_state.task_graph import upstreams
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.config.short_list import short_list
from airlift_component.redact import redact_url


@dataclass(frozen=True)
class UpstreamChange:
    """A task whose direct upstream tasks differ from the cached state."""

    dag: str
    task: str
    before: list[str]
    after: list[str]


@dataclass
class DriftReport:
    """The drift of one instance."""

    instance: str
    url: str
    #: DAGs Airflow lists for this instance (after its filter) that airlift.yaml does not map.
    unmapped_dags: list[str] = field(default_factory=list)
    #: DAGs airlift.yaml maps that Airflow does not have at all.
    missing_dags: list[str] = field(default_factory=list)
    #: DAGs airlift.yaml maps that exist but the instance's ``dags`` filter leaves out.
    filtered_out_dags: list[str] = field(default_factory=list)
    #: ``[dag, task]`` pairs mapped in airlift.yaml that the DAG no longer has.
    missing_tasks: list[list[str]] = field(default_factory=list)
    upstream_changes: list[UpstreamChange] = field(default_factory=list)
    #: Mapped DAGs that Airflow runs as one whole-DAG proxy (``airlift proxy on DAG
    #: --dag``): their mapped tasks are not compared, since Airflow shows only the proxy.
    proxied_dags: list[str] = field(default_factory=list)
    #: Decommissioned DAGs paused in Airflow, as they should be: not compared.
    decommissioned_dags: list[str] = field(default_factory=list)
    #: Decommissioned DAGs that Airflow still schedules (unpaused): two orchestrators.
    unpaused_decommissioned: list[str] = field(default_factory=list)
    #: Why upstream changes were not compared (no cache yet), if so.
    note: str | None = None

    @property
    def something_gone(self) -> bool:
        """True when a mapped DAG or task no longer exists: the exit code is 1."""
        return bool(self.missing_dags or self.missing_tasks)

    @property
    def clean(self) -> bool:
        return not (
            self.something_gone
            or self.unmapped_dags
            or self.filtered_out_dags
            or self.upstream_changes
            or self.unpaused_decommissioned
        )


#: The report's note when there is no stored state to compare task graphs with.
NO_CACHE = "no cached state to compare task graphs with (run `airlift refresh`)"


def compute_drift(
    instance: Instance,
    live: AirflowState,
    all_dag_ids: set[str],
    cached: AirflowState | None,
    without_cache: str = NO_CACHE,
) -> DriftReport:
    """Compare ``instance``'s mappings with ``live`` (and its task graph with ``cached``;
    without it the report's note is ``without_cache``)."""
    report = DriftReport(instance.name, redact_url(instance.url))
    mapped = {mapping.dag: mapping for mapping in instance.mappings}
    report.unmapped_dags = sorted(set(live.dags) - set(mapped))
    for dag_id, mapping in mapped.items():
        if dag_id not in all_dag_ids:
            report.missing_dags.append(dag_id)
            continue
        if dag_id not in live.dags:
            report.filtered_out_dags.append(dag_id)
            continue
        if mapping.decommissioned is not None:
            paused = live.dags[dag_id].dag.is_paused
            (report.decommissioned_dags if paused else report.unpaused_decommissioned).append(
                dag_id
            )
            continue
        if _proxied_as_a_whole(live.dags[dag_id]):
            report.proxied_dags.append(dag_id)
            continue
        live_tasks = {task.task_id for task in live.dags[dag_id].tasks or ()}
        for task in mapping.tasks:
            if task.task not in live_tasks:
                report.missing_tasks.append([dag_id, task.task])
    report.missing_dags.sort()
    report.filtered_out_dags.sort()
    report.proxied_dags.sort()
    if cached is None:
        report.note = without_cache
        return report
    for dag_id in sorted(d for d, m in mapped.items() if m.decommissioned is None):
        before_dag, after_dag = cached.dags.get(dag_id), live.dags.get(dag_id)
        if not before_dag or not after_dag or before_dag.tasks is None or after_dag.tasks is None:
            continue
        before, after = upstreams(before_dag.tasks), upstreams(after_dag.tasks)
        for task_id in sorted(set(before) & set(after)):
            if before[task_id] != after[task_id]:
                report.upstream_changes.append(
                    UpstreamChange(dag_id, task_id, sorted(before[task_id]), sorted(after[task_id]))
                )
    return report


def _proxied_as_a_whole(dag: DagState) -> bool:
    """True when Airflow shows the DAG as the single task of a whole-DAG proxy."""
    return any(is_whole_dag_proxy_task(task.task_id, task.operator) for task in dag.tasks or ())


#: Unmapped DAGs listed by name before the rest are only counted (``--verbose``: all).
UNMAPPED_SHOWN = 5


def render_text(reports: Sequence[DriftReport], *, verbose: bool = False) -> str:
    """One line per finding, grouped by instance.

    What is gone, filtered out or changed is always listed in full. Peered DAGs
    that map no task are a normal stage of a migration: without ``verbose`` they
    are counted and the first :data:`UNMAPPED_SHOWN` named.
    """
    lines = []
    for r in reports:
        lines.append(f"instance {r.instance} ({r.url}):")
        for dag in r.missing_dags:
            lines.append(f"  GONE     DAG {dag}: mapped in airlift.yaml, not in Airflow")
        for dag, task in r.missing_tasks:
            lines.append(f"  GONE     task {dag}.{task}: mapped in airlift.yaml, not in the DAG")
        for dag in r.filtered_out_dags:
            lines.append(
                f"  FILTERED DAG {dag}: mapped, but the instance's dags filter excludes it"
            )
        for change in r.upstream_changes:
            before = ", ".join(change.before) or "-"
            after = ", ".join(change.after) or "-"
            lines.append(
                f"  CHANGED  task {change.dag}.{change.task}: upstreams were [{before}], "
                f"now [{after}]"
            )
        for dag in r.proxied_dags:
            lines.append(
                f"  PROXIED  DAG {dag}: runs in Dagster as a whole; its mapped tasks are not "
                f"compared until `airlift proxy off {dag} --dag`"
            )
        for dag in r.unpaused_decommissioned:
            lines.append(
                f"  UNPAUSED DAG {dag}: decommissioned, its schedule runs in Dagster, but it is "
                "unpaused in Airflow, so both orchestrators run it (the sensor does not record "
                "Airflow's runs of Dagster's intervals). Pause it in Airflow, or give its "
                f"schedule back with `airlift decommission {dag} --undo --instance {r.instance}`"
            )
        for dag in r.decommissioned_dags:
            lines.append(
                f"  DECOMM   DAG {dag}: decommissioned (its schedule runs in Dagster) and paused "
                "in Airflow; not compared"
            )
        lines.extend(_unmapped_lines(r.unmapped_dags, verbose))
        if r.note:
            lines.append(f"  note: {r.note}")
        if r.clean:
            lines.append("  no drift")
    gone = any(r.something_gone for r in reports)
    lines.append(
        "something mapped is gone: update airlift.yaml" if gone else "nothing mapped is gone"
    )
    return "\n".join(lines) + "\n"


def _unmapped_lines(dags: Sequence[str], verbose: bool) -> list[str]:
    if verbose or len(dags) <= UNMAPPED_SHOWN + 1:
        return [f"  UNMAPPED DAG {dag}: peered (DAG asset only), no task mapped" for dag in dags]
    return [
        f"  UNMAPPED {len(dags)} DAGs peered (DAG asset only), no task mapped: "
        f"{short_list(dags, UNMAPPED_SHOWN)} (--verbose or --format json lists all)"
    ]


def render_json(reports: Sequence[DriftReport], *, verbose: bool = True) -> str:
    """A JSON document: ``{"something_gone": bool, "instances": [...]}``, always complete."""
    body = {
        "something_gone": any(r.something_gone for r in reports),
        "instances": [{**asdict(r), "something_gone": r.something_gone} for r in reports],
    }
    return json.dumps(body, indent=2) + "\n"


RENDERERS = {"text": render_text, "json": render_json}
