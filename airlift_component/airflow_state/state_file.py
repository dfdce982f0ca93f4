"""The Airflow state file: what the component needs from Airflow, for every instance of a file.

One JSON document per ``airlift.yaml``; ``dg utils refresh-defs-state`` (through
the component) and ``airlift refresh`` (without Dagster) write the same bytes::

    {
      "format": 2,
      "kind": "airlift-component/state",
      "fetched_at": "2026-11-29T18:00:00+00:00",
      "instances": {
        "<instance name>": {
          "url": "https://airflow.example.com",     # never with user:password@
          "api_version": "v2",                      # detected or pinned: v1 | v2
          "airflow_version": "3.3.2",
          "fetched_at": "...",
          "fingerprint": "<16 hex>",                # of the settings that decide what is fetched
          "dags": [{"dag_id", "is_paused", "tags", "description", "fileloc",
                    "owners", "schedule",
                    "tasks": null | [{"task_id", "downstream_task_ids",
                                      "operator", "is_mapped"}]}]
          "airflow_assets": [...]                   # only with airflow_assets enabled:
                                                    # see airflow_state.airflow_assets
        }
      },
      "airlift_yaml": {...}                         # optional, opaque here: the checked
                                                    # mappings of airlift.yaml as the
                                                    # refresh read them, see
                                                    # config.airlift_yaml.shipped
    }

``tasks`` is fetched for mapped DAGs only. The file holds no credential: the
instance settings (url, auth) stay in ``airlift.yaml``, and ``airlift_yaml`` holds
only DAG mappings. A reader that does not know ``airlift_yaml`` ignores it. Imports
no Dagster.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from airlift_component.airflow_state.state import AirflowState, StateFileError
from airlift_component.airflow_state.state_location import PLAIN_STATE_FILE
from airlift_component.config.atomic_write import atomic_write_bytes

STATE_FORMAT = 2
STATE_KIND = "airlift-component/state"
#: Where ``build_defs`` and ``airlift refresh`` keep the state outside a ``dg`` project.
DEFAULT_STATE_FILE = PLAIN_STATE_FILE


@dataclass(frozen=True)
class AirliftStateFile:
    """The states of the instances of one ``airlift.yaml``, fetched together."""

    fetched_at: datetime
    instances: dict[str, AirflowState] = field(default_factory=dict)
    #: What the refresh ships of ``airlift.yaml`` (:mod:`airlift_component.config.airlift_yaml.shipped`).
    airlift_yaml: dict[str, Any] | None = None

    def to_bytes(self) -> bytes:
        document: dict[str, Any] = {
            "format": STATE_FORMAT,
            "kind": STATE_KIND,
            "fetched_at": self.fetched_at.isoformat(),
            "instances": {name: state.to_dict() for name, state in self.instances.items()},
        }
        text = _render(document)
        if self.airlift_yaml is not None:  # last, on a line of its own
            text = f'{text[:-2]},\n"airlift_yaml": {json.dumps(self.airlift_yaml)}\n}}\n'
        return text.encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> AirliftStateFile:
        """Parse a state file; :class:`StateFileError` names ``where`` and the fix."""
        try:
            return cls._from_document(_load_by_line(data))
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # not as _render writes it, or broken: the whole document says which
        try:
            return cls._from_document(json.loads(data))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateFileError(
                f"{where}: the Airflow state cannot be read ({exc}); refresh it: "
                "`dg utils refresh-defs-state` or `airlift refresh`"
            ) from None

    @classmethod
    def _from_document(cls, document: Any) -> AirliftStateFile:
        if not isinstance(document, dict) or document.get("kind") != STATE_KIND:
            raise ValueError("not an airlift-component state file")
        if document.get("format") != STATE_FORMAT:
            raise ValueError(
                f"state format {document.get('format')!r}, this version reads {STATE_FORMAT}"
            )
        shipped = document.get("airlift_yaml")
        return cls(
            fetched_at=datetime.fromisoformat(document["fetched_at"]),
            instances={
                name: AirflowState.from_dict(name, item)
                for name, item in document["instances"].items()
            },
            airlift_yaml=shipped if isinstance(shipped, dict) else None,
        )


def _render(document: dict[str, Any]) -> str:
    """JSON with one line per DAG (and per other list item of an instance).

    ``json.dumps(indent=...)`` runs the pure-Python encoder: 0.066 s against 0.011 s
    for the C encoder on a state of 1,000 mapped DAGs x 10 tasks, paid by every
    refresh (the cold build). A line per DAG still lets a diff of two states show
    which DAGs changed.
    """
    dumps = json.dumps
    head = {key: value for key, value in document.items() if key != "instances"}
    parts = ["{" + dumps(head)[1:-1] + ', "instances": {']
    for n, (name, instance) in enumerate(document["instances"].items()):
        fields = []
        for key, value in instance.items():
            if isinstance(value, list) and value:
                items = ",\n  ".join(dumps(item) for item in value)
                fields.append(f"{dumps(key)}: [\n  {items}\n ]")
            else:
                fields.append(f"{dumps(key)}: {dumps(value)}")
        comma = "," if n else ""
        parts.append(f"{comma}\n {dumps(name)}: {{\n " + ",\n ".join(fields) + "\n }")
    parts.append("\n}}\n")
    return "".join(parts)


_DAGS_OPEN = ' "dags": ['
_DAGS_CLOSE = {" ]": "", " ],": ","}
_MARKER = "\x00airlift-dags:"


def _load_by_line(data: bytes) -> Any:
    """The document :func:`_render` wrote, each instance's ``dags`` an iterator that
    parses one DAG line at a time.

    ``json.loads`` of the whole file keeps every DAG's dicts and lists alive until
    the last becomes a :class:`DagState`. Parsed a line at a time, each DAG's dicts
    die before the next line is read. What it pays (``bench/compare/gc_phases.py``,
    stored build of 5,000 DAGs x 10 tasks, 7 Dec 2026): the read runs one full
    collection instead of two (161,000 objects scanned against 452,000), the whole
    build 10 instead of 11 (6.02 million against 6.31 million), about 0.1 s; in
    ``floor_ratio``-style paired rounds that is within the noise (BENCHMARKS.md).
    Raises ``ValueError`` for any other layout (the file is then parsed whole, which
    accepts any JSON and names what is wrong), and so does an iterator when a DAG
    line is not one JSON value with its comma.
    """
    if b"\\u0000airlift-dags:" in data:  # a file could spell the marker only so
        raise ValueError("the marker is in the file")
    lines = data.decode("utf-8").split("\n")
    skeleton: list[str] = []
    groups: list[list[str]] = []
    at, end = 0, len(lines)
    while at < end:
        line = lines[at]
        at += 1
        if line != _DAGS_OPEN or at == end or not lines[at].startswith("  {"):
            skeleton.append(line)
            continue
        start = at
        while at < end and lines[at].startswith("  {"):
            at += 1
        if at == end or lines[at] not in _DAGS_CLOSE:
            raise ValueError("a DAG list not closed as _render closes it")
        skeleton.append(f' "dags": {json.dumps(_MARKER + str(len(groups)))}')
        skeleton.append(_DAGS_CLOSE[lines[at]])
        groups.append(lines[start:at])
        at += 1
    document = json.loads("\n".join(skeleton))
    found = 0
    for instance in document["instances"].values():
        if instance.get("dags") == _MARKER + str(found):
            instance["dags"] = _parse_lines(groups[found])
            found += 1
    if found != len(groups):
        raise ValueError("a DAG list is not where an instance's DAGs are")
    return document


def _parse_lines(lines: list[str]) -> Iterator[Any]:
    """Each line's JSON value; every line but the last ends with its comma."""
    loads, last = json.loads, len(lines) - 1
    for n, line in enumerate(lines):
        if n < last:
            if line[-1] != ",":
                raise ValueError("a DAG line without its comma")
            line = line[:-1]
        yield loads(line)


def default_state_file(airlift_yaml: Path) -> Path:
    """``.airlift/state.json`` next to ``airlift.yaml``."""
    return airlift_yaml.parent / DEFAULT_STATE_FILE


def write_state_file(path: Path, state: AirliftStateFile) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, state.to_bytes())


def read_state_file(path: Path) -> AirliftStateFile | None:
    """The state in ``path``, ``None`` when there is no file.

    A corrupt file, a folder, a FIFO or device (refused before it is opened, as a
    FIFO would block) or an unreadable file: :class:`StateFileError` naming it.
    """
    hint = "give the file `airlift refresh` writes, or run it again"
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            kind = "a folder" if path.is_dir() else "a FIFO, device or socket"
            raise StateFileError(f"{path}: is {kind}, not an Airflow state file; {hint}")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # replaced since the check
                raise StateFileError(f"{path}: is not a regular file; {hint}")
            data = file.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(
            f"{path}: cannot read the Airflow state file ({exc.strerror or exc}); {hint}"
        ) from None
    return AirliftStateFile.from_bytes(data, str(path))
