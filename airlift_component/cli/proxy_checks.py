"""Acceptance checks for `airlift proxy status` and `airlift proxy on`.

Both read Dagster over GraphQL (the project's own client; no Dagster import)
at ``--dagster-url`` or ``$DAGSTER_URL``; there is no default, so without one
nothing is asked and the commands say so. ``status`` adds a row per check on a
task's assets with its latest outcome before the flip (judging what Airflow
produced) and after it (judging a proxied task's Dagster run). ``on`` refuses,
before writing, to proxy tasks whose assets have checks that failed, never ran,
are still running, or have not run since the stored Airflow state was last
refreshed; ``--force`` proceeds and prints the same list as warnings.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from airlift_component.errors import AirliftError, DagsterApiError
from airlift_component.status.checks import CheckOutcome, CheckRow, ChecksSection

if TYPE_CHECKING:
    from airlift_component.config.validation.proxied_state_dirs import StateSource
    from airlift_component.dagster_api import DagsterClient
    from airlift_component.dagster_api.acceptance import DagChecks
    from airlift_component.dagster_api.checks import CheckExecution, CheckHistory
    from airlift_component.status.model import InstanceStatus, StatusReport

URL_ENV = "DAGSTER_URL"
DEFAULT_TOKEN_ENV = "DAGSTER_API_TOKEN"
NO_URL = (
    f"acceptance checks not looked at: no Dagster URL (pass --dagster-url URL or set ${URL_ENV})"
)


def add_dagster_args(parser: argparse.ArgumentParser, purpose: str) -> None:
    """``--dagster-url`` and ``--token-env`` for a command that reads checks."""
    group = parser.add_argument_group("acceptance checks (read from Dagster)")
    group.add_argument(
        "--dagster-url",
        metavar="URL",
        help=f"Dagster webserver or Dagster+ deployment URL to {purpose} "
        f"(default: ${URL_ENV}; unset: checks are not looked at)",
    )
    group.add_argument(
        "--token-env",
        default=DEFAULT_TOKEN_ENV,
        metavar="VAR",
        help=f"environment variable holding a Dagster+ API token (default: {DEFAULT_TOKEN_ENV})",
    )


def dagster_client(args: argparse.Namespace) -> DagsterClient | None:
    """A client for the Dagster URL the command line or environment gives, else None."""
    url = args.dagster_url or os.environ.get(URL_ENV) or None
    if url is None:
        return None
    from airlift_component.dagster_api import DagsterClient

    return DagsterClient(url, token=os.environ.get(args.token_env) or None, timeout=30.0)


def _outcome(execution: CheckExecution | None) -> CheckOutcome | None:
    if execution is None:
        return None
    return CheckOutcome(execution.status, execution.timestamp, execution.run_id)


def _rows(instance: InstanceStatus, found: dict[str, DagChecks]) -> list[CheckRow]:
    flags = {dag.dag_id: dag for dag in instance.dags}
    rows = []
    for dag_id, dag in found.items():
        status = flags.get(dag_id)
        for task in dag.tasks:
            if task.task_id is None:
                proxied = status.dag_proxied if status and status.mode == "dag" else None
            elif status is not None and status.mode == "dag":
                proxied = bool(status.dag_proxied)
            else:
                proxied = status.task_flags.get(task.task_id) if status else None
            for history in task.histories:
                rows.append(
                    CheckRow(
                        dag_id,
                        task.task_id,
                        str(history.key),
                        proxied,
                        _outcome(history.before),
                        _outcome(history.after),
                        _outcome(history.latest),
                    )
                )
    return rows


def add_checks(report: StatusReport, client: DagsterClient | None) -> None:
    """Fill each instance's acceptance-check rows from Dagster (notes when impossible)."""
    if client is None:
        report.checks_note = NO_URL
        return
    from airlift_component.dagster_api.acceptance import dag_checks

    for instance in report.instances:
        section = ChecksSection(client.base_url)
        instance.checks = section
        # DAGs airlift.yaml does not map have no assets in Dagster to look at.
        dag_ids = [d.dag_id for d in instance.dags if d.mode != "broken" and d.mapped is not False]
        if instance.name is None:
            section.notes.append(
                "the airlift.yaml instance is not known, so its Dagster assets are not "
                "either; pass --config PATH"
            )
            continue
        if not dag_ids:
            continue
        try:
            found = dag_checks(client, instance.name, dag_ids)
        except DagsterApiError as exc:
            section.notes.append(f"cannot read the checks: {exc}")
            continue
        section.notes.extend(f"{d.dag_id}: {d.note}" for d in found.values() if d.note)
        section.rows = _rows(instance, found)
        if not section.rows:
            section.notes.append("no asset checks on the assets these DAGs map")


# -- proxy on -------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A check that does not back a flip, and why."""

    task: str  # a task id, or "(DAG)"
    check: str
    reason: str

    def format(self) -> str:
        return f"  {self.check} (task {self.task}): {self.reason}"


def _reason(history: CheckHistory, since: datetime | None) -> str | None:
    latest = history.latest
    if latest is None:
        return "never ran"
    outcome = _outcome(latest)
    assert outcome is not None
    if since is not None and latest.timestamp < since.timestamp():
        stamp = since.strftime("%Y-%m-%d %H:%M UTC")
        return f"not run since the last refresh ({stamp}); latest: {outcome.describe()}"
    if latest.passed:
        return None
    return f"{outcome.describe()} (Dagster run {latest.run_id})"


def _refreshed_at(source: StateSource) -> datetime | None:
    """When the stored Airflow state was fetched (None without a readable state file)."""
    config = source.config or (Path(source.assets.config) if source.assets else None)
    if config is None:
        return None
    from airlift_component.airflow_state.xcom_hint import stored_state

    stored = stored_state(config)
    if stored is None:
        return None
    state = stored.instances.get(source.instance or "")
    return state.fetched_at if state is not None else stored.fetched_at


def flip_gate(
    args: argparse.Namespace,
    source: StateSource,
    dag_id: str,
    tasks: Sequence[str] | None,
) -> None:
    """Before `proxy on` writes: refuse (raise) when checks on the assets of ``tasks``
    (None: the whole DAG) do not back the flip; with ``--force`` warn instead."""
    force = bool(getattr(args, "force", False))
    if tasks is not None and not tasks:
        return
    client = dagster_client(args)
    if client is None:
        print(NO_URL)  # a note, not a warning: stderr stays for what needs a look
        return
    instance = source.instance or (source.assets.instance if source.assets else None)
    with client:
        if instance is None:
            print(
                "acceptance checks not looked at: the airlift.yaml instance is not known "
                "(pass --config PATH)"
            )
            return
        from airlift_component.dagster_api.acceptance import dag_checks

        wanted = {dag_id: None if tasks is None else list(tasks)}
        try:
            found = dag_checks(client, instance, [dag_id], tasks=wanted)[dag_id]
        except DagsterApiError as exc:
            if force:
                print(f"warning: acceptance checks not looked at: {exc}", file=sys.stderr)
                return
            raise AirliftError(
                f"cannot look at the acceptance checks: {exc}; start Dagster, fix "
                "--dagster-url, or pass --force to flip without them"
            ) from None
        _judge(found, _refreshed_at(source), force, client.base_url)


def _judge(found: DagChecks, since: datetime | None, force: bool, where: str) -> None:
    histories = [(task.task_id or "(DAG)", h) for task in found.tasks for h in task.histories]
    if found.note:
        print(f"acceptance checks: {found.note}")
    if not histories:
        print(f"acceptance checks: none on these assets in Dagster at {where}")
        return
    findings = [
        Finding(task, str(h.key), reason)
        for task, h in histories
        if (reason := _reason(h, since)) is not None
    ]
    if not findings:
        print(f"acceptance checks: {len(histories)} passed (latest run in Dagster at {where})")
        return
    listed = "\n".join(f.format() for f in findings)
    head = f"{len(findings)} of {len(histories)} acceptance check(s) do not back this flip"
    if force:
        print(f"warning: {head} (--force: proxying anyway):\n{listed}", file=sys.stderr)
        return
    raise AirliftError(
        f"refused: {head}:\n{listed}\n"
        "Let them pass on a run from Airflow first (see the check history in Dagster), "
        "or pass --force to proxy anyway."
    )
