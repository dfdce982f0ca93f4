"""An import result as the text of a new ``airlift.yaml``, secrets as ``${VAR}``.

Written by hand rather than by a YAML library so that the layout is the one
the docs show (block mappings, short lists of plain keys in flow style) and
every string that YAML would read as something else is quoted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from airlift_component.import_python.result import ImportResult, Secret

_PLAIN = re.compile(r"^[A-Za-z0-9_$/][A-Za-z0-9_./:@${}*?\[\]-]*$")
_TYPED = re.compile(
    r"^(true|false|yes|no|on|off|y|n|null|~|[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?|0x[0-9a-fA-F]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Placeholder:
    """A ``${VAR}`` the written file reads, and what it holds."""

    name: str
    what: str


def scalar(value: Any) -> str:
    """``value`` as a YAML scalar: plain when YAML reads it back as the same string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    unclosed = text.startswith("${") and not text.endswith("}")
    if _PLAIN.match(text) and not _TYPED.match(text) and "[" not in text[:1] and not unclosed:
        return text
    return json.dumps(text, ensure_ascii=False)


_FLOW_ITEM = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")


def _flow_list(values: list[Any]) -> str | None:
    """``[a, b]`` when every item is a plain word that needs no quoting in a flow list."""
    if not all(isinstance(v, str) and _FLOW_ITEM.match(v) and not _TYPED.match(v) for v in values):
        return None
    text = f"[{', '.join(values)}]"
    return text if len(text) <= 80 else None


def _emit(value: Any, indent: int, lines: list[str], key: str) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            lines.append(f"{pad}{key}: {{}}")
            return
        lines.append(f"{pad}{key}:")
        for k, v in value.items():
            _emit(v, indent + 2, lines, scalar(k))
    elif isinstance(value, list):
        flow = _flow_list(value) if value else "[]"
        if flow is not None:
            lines.append(f"{pad}{key}: {flow}")
            return
        lines.append(f"{pad}{key}:")
        for item in value:
            _item(item, indent + 2, lines)
    else:
        lines.append(f"{pad}{key}: {scalar(value)}")


def _item(value: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict) and value:
        first = True
        for k, v in value.items():
            start = len(lines)
            _emit(v, indent + 2, lines, scalar(k))
            if first:
                lines[start] = f"{pad}- {lines[start][indent + 2 :]}"
                first = False
    else:
        lines.append(f"{pad}- {scalar(value)}")


def _secret_names(result: ImportResult) -> dict[int, dict[str, str]]:
    """Invented variable names per instance index and field."""
    several = len(result.instances) > 1
    names: dict[int, dict[str, str]] = {}
    for index, instance in enumerate(result.instances):
        prefix = f"{instance.name.upper()}_AIRFLOW_" if several else "AIRFLOW_"
        names[index] = {}
        for secret in _secrets(instance.data):
            if secret.env is None:
                names[index][secret.field] = prefix + re.sub(r"\W", "_", secret.field).upper()
    return names


def _secrets(value: Any) -> list[Secret]:
    if isinstance(value, Secret):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _secrets(v)]
    if isinstance(value, list):
        return [s for v in value for s in _secrets(v)]
    return []


def _fill(
    value: Any, names: dict[str, str], found: list[Placeholder], where: str, field: str = ""
) -> Any:
    if isinstance(value, Secret):
        name = value.env or names[value.field]
        found.append(Placeholder(name, f"{value.field} of instance {where}"))
        return f"${{{name}}}"
    if isinstance(value, dict):
        return {k: _fill(v, names, found, where, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names, found, where, field) for v in value]
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        found.append(Placeholder(value[2:-1], f"{field or 'a value'} of instance {where}"))
    return value


def render_airlift_yaml(result: ImportResult) -> tuple[str, list[Placeholder]]:
    """The text of ``airlift.yaml`` for ``result`` and every ``${VAR}`` it reads."""
    names = _secret_names(result)
    placeholders: list[Placeholder] = []
    lines = [
        f"# Written by `airlift import-python {result.path.name}`; check it with `airlift validate`.",
        "version: 1",
        "instances:",
    ]
    for index, instance in enumerate(result.instances):
        data = _fill(instance.data, names[index], placeholders, instance.name)
        lines.append(f"  # from {result.path.name}:{instance.line}")
        _item(data, 2, lines)
    unique = list(dict.fromkeys(placeholders))
    return "\n".join(lines) + "\n", unique
