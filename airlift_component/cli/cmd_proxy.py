"""`airlift proxy on|off|status`: move tasks to Dagster, roll them back, see progress."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airlift_component.config.proxied_state.edit import EditPlan, EditRequest
    from airlift_component.config.proxied_state.mapped_assets import MappedAssets
    from airlift_component.config.validation.proxied_state_dirs import Location, StateSource

NAME = "proxy"
HELP = "flip tasks or DAGs between Airflow and Dagster, or show migration progress"

_EPILOG = """\
where the files are:
  --dir PATH, else the proxied_state_dir of the instance in airlift.yaml
  (--config PATH, or ./airlift.yaml; --instance NAME when several instances
  have folders), else a 'proxied_state/' folder in or under the current folder.

editing:
  Only the flipped value changes; comments, quoting, layout and line endings
  stay byte for byte, and the spelling follows the old value (False -> True;
  YAML 1.1 yes/no/on/off become true/false, which every YAML reader agrees on).
  A file is either task level ('tasks:') or DAG level ('proxied:'), never both.
  --dag flips the DAG-level flag. 'on DAG --dag' on a task-level file proxies
  the whole DAG (decommissioning): 'proxied: true' replaces the task list,
  which is kept, byte for byte, in a comment block; 'off DAG --dag' puts that
  task list back exactly as it was (flags and comments included).
  Naming a task the file does not list is refused. Flipping to the value a
  flag already has changes nothing and exits 0.
  When the folder's airlift.yaml is known, 'on' refuses tasks (or a DAG) that
  have no assets mapped there (Dagster would run nothing), before writing;
  --force proxies them anyway.
  After 'on', a TaskFlow task whose downstream tasks may read its return value
  gets a warning (stderr, exit code unchanged) when the stored Airflow state
  (airlift refresh) shows it: proxied, it returns only what its Dagster asset
  hands back ('airlift/xcom_return_value'). No state file, no warning.

acceptance checks (with --dagster-url URL or $DAGSTER_URL; none: not looked at):
  'on' refuses, before writing, tasks whose assets have asset checks in Dagster
  that failed, never ran, are running or were skipped, or have not run since
  the last 'airlift refresh'; --force proxies anyway and warns. 'status' shows
  per task each check's latest outcome before the flip (on what Airflow made)
  and after it (on a proxied task's Dagster run).

exit codes: 0 done (or nothing to do), 1 refused or a broken file, 2 usage."""


def _location_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where the proxied-state files are")
    group.add_argument("--dir", type=Path, metavar="PATH", help="the proxied-state folder")
    group.add_argument("--config", type=Path, metavar="PATH", help="an airlift.yaml to read")
    group.add_argument("--instance", metavar="NAME", help="the airlift.yaml instance to use")


def _flip_parser(sub: argparse._SubParsersAction, verb: str) -> None:
    where = "Dagster" if verb == "on" else "Airflow (roll back)"
    parser = sub.add_parser(
        verb,
        help=f"run tasks (or a whole DAG) in {where}",
        description=f"Set proxied: {'true' if verb == 'on' else 'false'} for tasks or a DAG.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dag", metavar="DAG", help="the DAG id (its file is DAG.yaml)")
    parser.add_argument("tasks", metavar="TASK", nargs="*", help="task ids to flip")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--dag", dest="whole_dag", action="store_true", help="flip the DAG-level flag"
    )
    scope.add_argument(
        "--all", dest="all_tasks", action="store_true", help="flip every listed task"
    )
    parser.add_argument(
        "--create", action="store_true", help="create DAG.yaml when it does not exist"
    )
    if verb == "on":
        parser.add_argument(
            "--force",
            action="store_true",
            help="proxy even tasks (or a DAG) with no assets mapped in airlift.yaml, or "
            "whose acceptance checks failed or have not run",
        )
    _location_args(parser)
    if verb == "on":
        from airlift_component.cli.proxy_checks import add_dagster_args

        add_dagster_args(parser, "look at the acceptance checks before the flip")
    parser.set_defaults(value=verb == "on")


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    _flip_parser(sub, "on")
    _flip_parser(sub, "off")
    status = sub.add_parser(
        "status",
        help="show per DAG how many tasks are proxied",
        description="Show migration progress per instance and DAG.",
    )
    status.add_argument("--format", choices=("text", "json", "html"), default="text")
    status.add_argument("--output", type=Path, metavar="FILE", help="write to FILE, not stdout")
    _location_args(status)
    from airlift_component.cli.proxy_checks import add_dagster_args

    add_dagster_args(status, "show each task's acceptance checks before and after the flip")


def _location(args: argparse.Namespace) -> Location:
    from airlift_component.config.validation.proxied_state_dirs import Location

    return Location(Path("."), args.dir, args.config, args.instance)


def _run_flip(args: argparse.Namespace) -> int:
    from airlift_component.config.problems import one_line
    from airlift_component.config.proxied_state.edit import (
        EditRequest,
        set_proxied,
        state_file_for,
    )
    from airlift_component.config.validation.proxied_state_dirs import find_edit_source
    from airlift_component.errors import UsageError

    if args.whole_dag and args.tasks:
        raise UsageError("give either TASK ids or --dag, not both")
    if args.all_tasks and args.tasks:
        raise UsageError("give either TASK ids or --all, not both")
    if not (args.tasks or args.whole_dag or args.all_tasks):
        raise UsageError(
            f"name the tasks to flip (airlift proxy {args.action} {args.dag} TASK ...), "
            "or pass --dag for the DAG-level flag, or --all for every listed task"
        )
    if args.create and args.all_tasks:
        raise UsageError("--create needs the TASK ids (or --dag) to write")
    tasks = None if args.whole_dag else tuple(args.tasks)
    request = EditRequest(args.dag, args.value, tasks, all_tasks=args.all_tasks)
    source = find_edit_source(_location(args))
    assert source.directory is not None
    mapped = None if getattr(args, "force", False) else source.assets
    existing = state_file_for(source.directory, args.dag)
    if not args.create and existing is None:
        # Nothing to edit, so set_proxied refuses: say that first (a mistyped DAG id,
        # or --create), not that the DAG has no assets. With --create the assets come
        # first, before anything is written.
        mapped = None
    if args.value and (existing is not None or args.create):
        from airlift_component.cli.proxy_checks import flip_gate

        flip_gate(args, source, args.dag, _turned_on(existing, request, mapped))
    plan = set_proxied(source.directory, request, create=args.create, mapped=mapped)
    shown = one_line(plan.path)
    if plan.method == "create":
        print(f"{shown}: created")
    for change in plan.changes:
        print(f"{shown}: {change.describe()}")
    if plan.note:
        print(f"{shown}: {plan.note}")
    if plan.changed:
        what = "the DAG" if request.dag_level else "these tasks"
        how = "hands {} to Dagster" if args.value else "runs {} itself again"
        if plan.method == "restore":
            how = "runs the DAG task by task again, as the restored list says,"
        print(f"Done: Airflow {how.format(what)} from its next parse of {args.dag}.")
    else:
        print(f"{shown}: nothing to change")
    if args.value and not request.dag_level:
        _warn_xcom_readers(source, args.dag, plan)
    return 0


def _turned_on(
    path: Path | None, request: EditRequest, mapped: MappedAssets | None
) -> tuple[str, ...] | None:
    """The tasks `proxy on` would turn on (None: the whole DAG), for the check gate.

    A dry run of the edit, so tasks already proxied are not judged again; when it
    cannot be planned, every named task is (the edit then says what is wrong).
    """
    from airlift_component.config.proxied_state.edit import plan_edit
    from airlift_component.errors import AirliftError

    if request.dag_level or request.all_tasks:
        return None
    if path is None:
        return request.tasks
    try:
        plan = plan_edit(path.read_bytes(), str(path), request, mapped=mapped)
    except (AirliftError, OSError):
        return request.tasks
    return tuple(change.target for change in plan.changes if change.changed)


def _warn_xcom_readers(source: StateSource, dag_id: str, plan: EditPlan) -> None:
    """Warn (stderr) for each task now proxied whose return value later tasks may
    read, as the stored Airflow state tells; silent without it."""
    from airlift_component.airflow_state.xcom_hint import format_warning, proxy_on_hints

    config, instance = source.config, source.instance
    if (config is None or instance is None) and source.assets is not None:
        config, instance = Path(source.assets.config), source.assets.instance
    if config is None or instance is None:
        return
    # A file just created (--create) reports no line: point at its start.
    lines = {change.target: max(change.line, 1) for change in plan.changes if change.target}
    for warning in proxy_on_hints(config, instance, dag_id, lines, plan.path):
        print(format_warning(warning), file=sys.stderr)


def _run_status(args: argparse.Namespace) -> int:
    from airlift_component.cli.proxy_checks import add_checks, dagster_client
    from airlift_component.config.atomic_write import atomic_write_bytes
    from airlift_component.config.validation.proxied_state_dirs import find_sources
    from airlift_component.errors import AirliftError
    from airlift_component.status.model import build_report

    report = build_report(find_sources(_location(args)))
    client = dagster_client(args)
    try:
        add_checks(report, client)
    finally:
        if client is not None:
            client.close()
    if args.format == "json":
        from airlift_component.status.render_json import render_json

        text = render_json(report)
    elif args.format == "html":
        from airlift_component.status.render_html import render_html

        text = render_html(report)
    else:
        from airlift_component.status.render_text import render_text

        text = render_text(report)
    if args.output is not None:
        try:
            atomic_write_bytes(args.output, text.encode("utf-8"))
        except OSError as exc:
            raise AirliftError(
                f"--output {args.output}: cannot write: {exc.strerror or exc}; "
                "check that the folder exists and is writable"
            ) from None
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if report.checks_note:
        print(report.checks_note, file=sys.stderr)
    problems = report.problems
    for problem in problems:
        print(problem.format(), file=sys.stderr)
    return 1 if problems else 0


def run(args: argparse.Namespace) -> int:
    """Dispatch to on/off or status; returns the exit code."""
    from airlift_component.errors import UsageError

    if args.action is None:
        raise UsageError("say what to do: airlift proxy on|off|status (see airlift proxy --help)")
    from airlift_component.cli.collector import paused

    with paused():
        if args.action == "status":
            return _run_status(args)
        return _run_flip(args)
