"""``package.module:attribute`` references in ``airlift.yaml``, imported when Dagster loads it.

``airlift validate`` checks only their shape (it imports neither Dagster nor user
code); here they are imported, and what is wrong with one (a missing module or
attribute, a value of the wrong kind) becomes one :class:`ConfigError` naming the
file, the line of the ``code:`` key and the fix. The line is looked up only when
there is something to report, so a file that loads costs no second read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airlift_component.config.problems import Problem
from airlift_component.config.yaml.read import Loc
from airlift_component.errors import ConfigError

CODE_HINT = "fix `code:` (write package.module:attribute)"


@dataclass(frozen=True)
class CodeSite:
    """Where a ``code:`` is written: the file, and the instance / DAG / task / asset /
    check it belongs to, by name and position (``None`` where it does not apply)."""

    path: str
    instance: str
    dag: str
    task: str | None = None
    asset: str | None = None
    check: int | None = None
    field: str = "code"

    def loc(self, data: Any) -> Loc | None:
        """The path of keys and indexes to this ``code:`` in the YAML ``data``."""
        instances = data.get("instances") if isinstance(data, dict) else None
        i = _index(instances, lambda item: item.get("name") == self.instance)
        if i is None:
            return None
        mappings = instances[i].get("mappings")  # type: ignore[index]
        d = _index(mappings, lambda item: item.get("dag") == self.dag)
        if d is None:
            return None
        loc: Loc = ("instances", i, "mappings", d)
        node = mappings[d]
        if self.task is not None:
            t = _index(node.get("tasks"), lambda item: item.get("task") == self.task)
            if t is None:
                return loc
            loc, node = (*loc, "tasks", t), node["tasks"][t]
        if self.asset is not None:
            a = _index(node.get("assets"), lambda item: _key(item) == self.asset)
            if a is None:
                return loc
            loc, node = (*loc, "assets", a), node["assets"][a]
        if self.check is not None:
            return (*loc, "checks", self.check, self.field)
        return (*loc, self.field)

    def problem(self, message: str, hint: str = CODE_HINT) -> ConfigError:
        """One located problem about this ``code:``."""
        line, col = 1, 1
        try:
            from airlift_component.config.airlift_yaml.load import read_airlift_document

            doc = read_airlift_document(Path(self.path))
            loc = self.loc(doc.data)
            if loc is not None:
                line, col = doc.position(loc)
        except Exception:  # the message matters more than its line
            pass
        return ConfigError([Problem(self.path, line, col, message, hint=hint)])


def _key(item: object) -> object:
    return item.get("key") if isinstance(item, dict) else item


def _index(items: object, match: Callable[[dict[str, Any]], bool]) -> int | None:
    """The position of the first entry of the list ``items`` that ``match`` accepts
    (a bare string entry is read as ``{"key": entry}``)."""
    if not isinstance(items, list):
        return None
    for index, item in enumerate(items):
        entry = {"key": item} if isinstance(item, str) else item
        if isinstance(entry, dict) and match(entry):
            return index
    return None


def import_ref(ref: str, site: CodeSite) -> object:
    """The value ``package.module:attribute`` names; :class:`ConfigError` when the module
    cannot be imported or has no such attribute."""
    module_name, _, attr = ref.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise site.problem(f"code {ref!r}: cannot import {module_name!r} ({exc})") from None
    value = getattr(module, attr, None)
    if value is None:
        raise site.problem(f"code {ref!r}: module {module_name!r} has no attribute {attr!r}")
    return value
