"""Shared by the commands that read airlift.yaml and talk to Airflow (refresh, drift)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from airlift_component.config.airlift_file import AirliftFile, Instance
from airlift_component.errors import UsageError


def load_config(path: Path) -> AirliftFile:
    """Load airlift.yaml for use (placeholders resolved); a missing file is a usage error."""
    from airlift_component.config.airlift_checks import load_airlift_file

    if not path.is_file():
        raise UsageError(f"{path}: no such file (pass the airlift.yaml with --config PATH)")
    return load_airlift_file(path, cross_file=False)


def selected_instances(
    model: AirliftFile, names: Sequence[str] | None, path: Path
) -> list[Instance]:
    """The instances named on the command line (all when none), in file order."""
    if not names:
        return list(model.instances)
    known = {instance.name for instance in model.instances}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(
            f"{path}: no instance named {', '.join(map(repr, unknown))} "
            f"(the file defines {', '.join(sorted(known))})"
        )
    return [instance for instance in model.instances if instance.name in names]
