"""``airlift validate``: check airlift.yaml and proxied-state files."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airlift_component.config.problems import Problem
    from airlift_component.config.validation.validate import ValidationResult

NAME = "validate"
HELP = "check airlift.yaml and proxied_state/*.yaml files (all problems, with file:line:col)"


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders (default: the current folder). Folders are searched for "
        "airlift.yaml/airlift.yml and proxied_state/*.yaml (skipping .git, .venv*, "
        "node_modules). A file's kind comes from its name: airlift.yaml, or any .yaml in "
        "a folder named proxied_state; other .yaml files are airlift files when they "
        "have 'version' or 'instances', proxied-state files otherwise",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="pass over what this glob matches when searching folders, by path (as "
        "searched, e.g. tests/corpus or 'tests/*') or by name (e.g. fixtures); "
        "repeatable. Files named on the command line are always checked",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one 'path:line:col: message (hint)' line per problem, then one "
        "'path:line:col: warning: ...' line per warning; json: one document",
    )


def run(args: argparse.Namespace) -> int:
    """Validate, print the report on stdout; 1 when any problem was found, else 0."""
    from airlift_component.cli.collector import paused

    with paused():
        return _validate(args)


def _validate(args: argparse.Namespace) -> int:
    import os
    import sys

    # pydantic scans every installed distribution's entry points for plugins when
    # the models are built; checking files needs none, and the scan costs more than
    # the checks. Set only while our models are imported, and only if unset.
    plugins_unset = "PYDANTIC_DISABLE_PLUGINS" not in os.environ
    if plugins_unset:
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        from airlift_component.airflow_state.xcom_hint import validate_hints
        from airlift_component.config.validation.validate import validate_paths
    finally:
        if plugins_unset:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]

    result = validate_paths(args.paths, exclude=args.exclude)
    warnings = validate_hints(result)
    sys.stdout.write(_render(result, warnings, args.format))
    return 0 if result.ok else 1


def _render(result: ValidationResult, warnings: list[Problem], form: str) -> str:
    """The report; warnings never change the exit code.

    Text: problems, then ``path:line:col: warning: ...`` lines, then the summary.
    JSON: the report's document, plus ``"warnings"`` (problem-shaped) when there are any.
    """
    import json

    from airlift_component.airflow_state.xcom_hint import format_warning
    from airlift_component.config.validation.report import RENDERERS, as_json, summary

    if not warnings:
        return RENDERERS[form](result)
    if form == "json":
        document = as_json(result)
        document["warnings"] = [warning.as_dict() for warning in warnings]
        return json.dumps(document, indent=2) + "\n"
    lines = [problem.format() for problem in result.problems]
    lines += [format_warning(warning) for warning in warnings]
    noun = "warning" if len(warnings) == 1 else "warnings"
    lines.append(f"{summary(result)}, {len(warnings)} {noun}")
    return "\n".join(lines) + "\n"
