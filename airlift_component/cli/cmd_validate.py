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
        help="airlift.yaml files, proxied-state files or folders to search "
        "(default: search the current folder)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one 'path:line:col: message (hint)' line per problem; json: one document",
    )


def run(args: argparse.Namespace) -> int:
    """Validate, print the report on stdout; 1 when any problem was found, else 0."""
    import gc
    import os
    import sys

    # pydantic looks for plugins in every installed distribution's entry points on
    # first use; checking files needs none, and the scan costs more than the checks.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

    # A short-lived run that keeps everything it reads: the cyclic collector would
    # only rescan the same live objects (a third of the time on big projects).
    gc.disable()
    from airlift_component.config.report import RENDERERS
    from airlift_component.config.validation import validate_paths

    result = validate_paths(args.paths, parallel=True)
    sys.stdout.write(RENDERERS[args.format](result))
    return 0 if result.ok else 1
