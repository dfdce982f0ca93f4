"""``airlift drift``: compare airlift.yaml with what Airflow has now."""

from __future__ import annotations

import argparse

from airlift_component.cli.config_args import add_config_arguments

NAME = "drift"
HELP = "compare airlift.yaml with live Airflow (exit 1 when a mapped DAG or task is gone)"


def register(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, "only this instance (repeatable)")
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="the Airflow state file to compare task graphs with (default: the one "
        "`airlift refresh` writes)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--verbose", action="store_true", help="list every peered DAG that maps no task"
    )


def run(args: argparse.Namespace) -> int:
    """Print the drift report; 1 when something mapped is gone, else 0."""
    import sys
    from pathlib import Path

    from airlift_component.airflow_state.drift import NO_CACHE, RENDERERS, compute_drift
    from airlift_component.airflow_state.fetch import default_client_factory, fetch_state
    from airlift_component.airflow_state.state_file import read_state_file
    from airlift_component.airflow_state.state_location import refresh_targets
    from airlift_component.cli.config_args import load_config
    from airlift_component.config.airlift_yaml.instances import selected_instances
    from airlift_component.errors import UsageError
    from airlift_component.redact import redact_url

    path = Path(args.config)
    model = load_config(path)
    note = NO_CACHE
    if args.state:
        stored = read_state_file(Path(args.state))
        if stored is None:
            raise UsageError(
                f"--state {args.state}: no such file; give the state file `airlift refresh` "
                "writes, or leave --state out"
            )
    else:
        targets = refresh_targets(path)
        stored = read_state_file(targets.paths[0]) if targets.paths else None
        if not targets.paths:
            note = (
                "the component keeps its state in Dagster's versioned defs-state storage, "
                "which this command does not read: task graphs are not compared (pass "
                "--state FILE with a copy of the state to compare them)"
            )
    reports = []
    for instance in selected_instances(model, args.instance, path):
        with default_client_factory(instance) as client:
            live = fetch_state(client, instance)
            all_ids = {dag.dag_id for dag in client.list_dags(apply_filter=False)}
        cached = stored.instances.get(instance.name) if stored else None
        # The report shows the URL: never with user:password@.
        shown = instance.model_copy(update={"url": redact_url(instance.url)})
        reports.append(compute_drift(shown, live, all_ids, cached, note))
    sys.stdout.write(RENDERERS[args.format](reports, verbose=args.verbose))
    return 1 if any(report.something_gone for report in reports) else 0
