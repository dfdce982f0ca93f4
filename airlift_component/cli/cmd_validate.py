"""``airlift validate``: check airlift.yaml and proxied-state files."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airlift_component.config.problems import Problem
    from airlift_component.config.validation.result import ValidationResult
    from airlift_component.config.validation.targets import Target
    from airlift_component.config.validation.verdict_cache import Verdict

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
        "--no-cache",
        action="store_true",
        help="check everything again, and remember nothing (a pass is otherwise "
        "remembered in the user's cache folder, never in the project, and reused while "
        "no file it read and no rule has changed; AIRLIFT_VALIDATE_CACHE=0 also turns "
        "it off)",
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
    import sys

    from airlift_component.config.validation import verdict_cache
    from airlift_component.config.validation.inputs import InputLog
    from airlift_component.config.validation.targets import find_targets

    targets = find_targets(args.paths, args.exclude)
    found, trouble = targets
    cache = None if args.no_cache else verdict_cache.cache_folder(args.paths)
    folder = None if trouble else cache
    key = verdict_cache.question_key(args.paths, args.exclude, found) if folder else ""
    if folder is not None:
        verdict = verdict_cache.recall(folder, key)
        if verdict is not None:
            sys.stdout.write(_render_pass(verdict, found, args.format))
            return 0
    # The models are imported where they are needed (those of airlift.yaml not at all
    # when its summary is remembered), so the whole check runs without the scan.
    with _no_pydantic_plugins():
        from airlift_component.airflow_state.xcom_hint import hint_sources, hints_for_sources
        from airlift_component.config.validation.summary_cache import FOLDER, SummaryCache
        from airlift_component.config.validation.validate import validate_paths

        inputs = None if folder is None else InputLog()
        summaries = None if cache is None else SummaryCache(cache / FOLDER)
        result = validate_paths(
            args.paths, exclude=args.exclude, targets=targets, inputs=inputs, summaries=summaries
        )
        sources = hint_sources(result)
        warnings = hints_for_sources(sources, result.state_files, result.state_dirs)
    # Rendered before a pass is remembered, so the code the entry names is every module
    # this run used, whether or not an earlier run in the process had loaded some.
    report = _render(result, warnings, args.format)
    if folder is not None and inputs is not None and result.ok:
        remembered = [
            (str(source.path), source.named, list(source.state_dirs)) for source in sources
        ]
        verdict_cache.remember(
            folder, key, verdict_cache.Verdict(result.files_checked, remembered), inputs
        )
    sys.stdout.write(report)
    return 0 if result.ok else 1


def _render_pass(verdict: Verdict, targets: list[Target], form: str) -> str:
    """The report of a remembered pass, its warnings worked out again (they read the
    stored Airflow state, which the verdict does not cover)."""
    from pathlib import Path

    from airlift_component.airflow_state.xcom_hint import HintSource, hints_for_sources
    from airlift_component.config.validation.result import ValidationResult

    sources = [
        HintSource(Path(path), tuple(dirs), named) for path, named, dirs in verdict.hint_sources
    ]
    state_files = [path for path, kind in targets if kind == "proxied-state"]
    with _no_pydantic_plugins():
        warnings = hints_for_sources(sources, state_files, {})
    return _render(ValidationResult(files_checked=verdict.files_checked), warnings, form)


@contextlib.contextmanager
def _no_pydantic_plugins() -> Iterator[None]:
    """pydantic scans every installed distribution's entry points for plugins when
    the models are built; checking files needs none, and the scan costs more than
    the checks. Set only while files are checked, and only if unset."""
    unset = "PYDANTIC_DISABLE_PLUGINS" not in os.environ
    if unset:
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        if unset:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]


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
