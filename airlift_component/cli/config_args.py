"""The ``--config`` / ``--instance`` arguments of the commands that read airlift.yaml.

Imports nothing heavy at module level: every subcommand registers its arguments
when ``airlift --help`` runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airlift_component.config.airlift_yaml.model import AirliftFile


def add_config_arguments(parser: argparse.ArgumentParser, instance_help: str) -> None:
    """``--config PATH`` (default ``./airlift.yaml``) and a repeatable ``--instance NAME``."""
    parser.add_argument(
        "--config",
        default="airlift.yaml",
        metavar="PATH",
        help="the airlift.yaml to read (default: ./airlift.yaml)",
    )
    parser.add_argument("--instance", action="append", metavar="NAME", help=instance_help)


def load_config(path: Path) -> AirliftFile:
    """Load airlift.yaml for use (placeholders resolved); a missing file is a usage error."""
    from airlift_component.config.airlift_yaml.load import load_airlift_file

    _check_path(path)
    return load_airlift_file(path)


def load_config_for_refresh(path: Path) -> tuple[AirliftFile, dict[str, Any] | None]:
    """:func:`load_config`, and what the state a refresh writes carries of the file
    (:mod:`airlift_component.config.airlift_yaml.shipped`)."""
    from airlift_component.config.airlift_yaml.load import load_for_refresh

    _check_path(path)
    return load_for_refresh(path)


def _check_path(path: Path) -> None:
    from airlift_component.errors import UsageError

    if path.is_dir():
        raise UsageError(
            f"{path}: is a folder, not a file (pass the airlift.yaml in it: "
            f"--config {path / 'airlift.yaml'})"
        )
    if not path.is_file():
        raise UsageError(f"{path}: no such file (pass the airlift.yaml with --config PATH)")
