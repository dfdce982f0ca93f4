"""A task whose assets all come from one asset definition, written as one line.

dagster-airlift maps a whole ``AssetsDefinition`` to a task (``"build": [dbt_models]``);
airlift.yaml says the same with ``code:`` on the task, and ``select:`` when the task
keeps only some of its keys (the others mapped first elsewhere). A task listing
specs, or assets of several definitions, keeps its list of keys. A ``@dbt_assets``
project has no keys to list, so it is written this way or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airlift_component.import_python.assets import Entry
from airlift_component.import_python.result import ImportResult


def selection_of(keys: Sequence[str]) -> str:
    """The Dagster asset selection that picks exactly ``keys``."""
    return " or ".join(f'key:"{key}"' for key in keys)


def task_entry(task: str, entries: Sequence[Entry], result: ImportResult) -> dict[str, Any] | None:
    """The airlift.yaml task object for ``entries`` (``None``: nothing left to map)."""
    definitions = {entry.definition for entry in entries}
    (only,) = definitions if len(definitions) == 1 else (None,)
    if only is not None:
        mapped: dict[str, Any] = {"task": task, "code": only.ref}
        if only.keys is not None:
            keys = [entry.data["key"] for entry in entries]
            if set(keys) != set(only.keys):
                mapped["select"] = selection_of([k for k in only.keys if k in keys])
        return mapped
    listed = []
    for entry in entries:
        if "key" in entry.data:
            listed.append(entry.data["key"] if list(entry.data) == ["key"] else entry.data)
        else:
            assert entry.definition is not None
            result.note(
                entry.line,
                f"task {task}: {entry.definition.ref} is mapped with other assets; airlift.yaml "
                "maps a definition whose keys are not known here (a dbt project) only as all "
                "a task produces: give it a task of its own, or list its keys",
            )
    return {"task": task, "assets": listed} if listed else None
