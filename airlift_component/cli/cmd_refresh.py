"""``airlift refresh``: fetch the Airflow state the Dagster definitions are built from.

The same operation as ``dg utils refresh-defs-state`` for a component whose
state is on the local filesystem, without Dagster: the same fetch, the same file.
"""

from __future__ import annotations

import argparse

from airlift_component.cli.config_args import add_config_arguments

NAME = "refresh"
HELP = "fetch DAGs and tasks from Airflow into the state file the Dagster component loads"


def register(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(
        parser, "refresh only this instance, keeping the others' last state (repeatable)"
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write the state here instead (default: the local defs state of the dg project's "
        "AirliftComponent that reads this airlift.yaml, else .airlift/state.json next to it)",
    )
    parser.add_argument(
        "--project",
        metavar="DIR",
        help="the dg project to look for the component in (default: the one containing the "
        "current folder, else the one containing airlift.yaml)",
    )


def run(args: argparse.Namespace) -> int:
    """Fetch every instance and write the state; 1 (nothing written) when one failed."""
    import sys
    from dataclasses import replace
    from pathlib import Path

    from airlift_component.airflow_state.fetch import fetch_state_file
    from airlift_component.airflow_state.state import StateFileError
    from airlift_component.airflow_state.state_file import read_state_file, write_state_file
    from airlift_component.airflow_state.state_location import ensure_gitignore, refresh_targets
    from airlift_component.cli.config_args import load_config_for_refresh
    from airlift_component.config.airlift_yaml.instances import selected_instances

    path = Path(args.config)
    model, shipped = load_config_for_refresh(path)
    chosen = selected_instances(model, args.instance, path)
    if args.output:
        paths, versioned = [Path(args.output)], []
    else:
        targets = refresh_targets(path, Path(args.project) if args.project else None)
        paths, versioned = targets.paths, targets.versioned
    for component in versioned:
        print(
            f"airlift refresh: {component.defs_yaml} keeps its state in {component.management_type} "
            f"(key {component.key}): refresh it with `dg utils refresh-defs-state` in the project",
            file=sys.stderr,
        )
    if not paths:
        return 1
    try:
        state = replace(fetch_state_file(chosen), airlift_yaml=shipped)
    except StateFileError as exc:
        print(f"airlift refresh: {exc}", file=sys.stderr)
        return 1
    for target in paths:
        written = state
        if args.instance:
            last = read_state_file(target)
            if last is not None:
                written = replace(state, instances={**last.instances, **state.instances})
        ensure_gitignore(target)
        write_state_file(target, written)
    for name, one in state.instances.items():
        with_tasks = sum(1 for dag in one.dags.values() if dag.tasks is not None)
        print(
            f"{name}: {len(one.dags)} DAG(s), tasks of {with_tasks} mapped DAG(s), "
            f"API {one.api_version} (Airflow {one.airflow_version})"
        )
    for target in paths:
        print(f"wrote {target}")
    return 0
