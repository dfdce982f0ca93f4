"""``airlift validate``: check airlift.yaml and proxied-state files."""

from __future__ import annotations

import argparse

NAME = "validate"
HELP = "check airlift.yaml and proxied_state/*.yaml files (all problems, with file:line:col)"
ORDER = 10


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
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one 'path:line:col: message (hint)' line per problem; json: one document",
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
        from airlift_component.config.report import RENDERERS
        from airlift_component.config.validation import validate_paths
    finally:
        if plugins_unset:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]

    result = validate_paths(args.paths)
    sys.stdout.write(RENDERERS[args.format](result))
    return 0 if result.ok else 1
