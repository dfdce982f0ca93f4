"""Picking instances of ``airlift.yaml`` by name (``--instance``, ``instances=``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from airlift_component.config.airlift_yaml.model import AirliftFile, Instance
from airlift_component.errors import UsageError


def selected_instances(
    model: AirliftFile, names: Sequence[str] | None, path: Path
) -> list[Instance]:
    """The instances named in ``names`` (all when none), in file order.

    An unknown name is a :class:`UsageError` that lists the names the file defines.
    """
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
