"""``airlift refresh``: fetch the Airflow state the Dagster definitions are built from."""

from __future__ import annotations

import argparse

from airlift_component.cli.config_args import add_config_arguments

NAME = "refresh"
HELP = "fetch DAGs and tasks from Airflow into the state cache the Dagster component loads"
ORDER = 40


def register(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser, "refresh only this instance (repeatable; default: all)")
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache folder, relative to airlift.yaml (default: .airlift/cache; must match the "
        "component's cache_dir)",
    )


def run(args: argparse.Namespace) -> int:
    """Refresh every selected instance; 1 when one could not be read (the others are written)."""
    import sys
    from pathlib import Path

    from airlift_component.airflow_state.fetch import cache_file, refresh_state
    from airlift_component.cli.config_args import load_config
    from airlift_component.config.instances import selected_instances
    from airlift_component.errors import AirflowApiError

    path = Path(args.config)
    model = load_config(path)
    failed = 0
    for instance in selected_instances(model, args.instance, path):
        target = cache_file(path.resolve(), instance.name, args.cache_dir)
        try:
            state = refresh_state(instance, target)
        except AirflowApiError as exc:
            print(f"airlift refresh: instance {instance.name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        with_tasks = sum(1 for dag in state.dags.values() if dag.tasks is not None)
        print(
            f"{instance.name}: {len(state.dags)} DAG(s), tasks of {with_tasks} mapped DAG(s), "
            f"API {state.api_version} (Airflow {state.airflow_version}) -> {target}"
        )
    return 1 if failed else 0
