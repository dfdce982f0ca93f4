"""``airlift drift``: compare airlift.yaml with what Airflow has now."""

from __future__ import annotations

import argparse

from airlift_component.cli.config_args import add_config_arguments

NAME = "drift"
HELP = "compare airlift.yaml with live Airflow (exit 1 when a mapped DAG or task is gone)"
ORDER = 45


def register(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, "only this instance (repeatable)")
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="state cache folder to compare task graphs with (default: .airlift/cache)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    """Print the drift report; 1 when something mapped is gone, else 0."""
    import sys
    from pathlib import Path

    from airlift_component.airflow_state.drift import RENDERERS, compute_drift
    from airlift_component.airflow_state.fetch import (
        cache_file,
        default_client_factory,
        fetch_state,
    )
    from airlift_component.airflow_state.state import read_state
    from airlift_component.cli.config_args import load_config
    from airlift_component.config.instances import selected_instances

    path = Path(args.config)
    model = load_config(path)
    reports = []
    for instance in selected_instances(model, args.instance, path):
        with default_client_factory(instance) as client:
            live = fetch_state(client, instance)
            all_ids = {dag.dag_id for dag in client.list_dags(apply_filter=False)}
        cached = read_state(cache_file(path.resolve(), instance.name, args.cache_dir))
        reports.append(compute_drift(instance, live, all_ids, cached))
    sys.stdout.write(RENDERERS[args.format](reports))
    return 1 if any(report.something_gone for report in reports) else 0
