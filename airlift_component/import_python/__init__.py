"""`airlift import-python`: a dagster-airlift ``definitions.py`` turned into ``airlift.yaml``.

The module is read by its syntax (:mod:`ast`), never imported, so neither
Dagster nor dagster-airlift needs to be installed. :func:`import_definitions`
returns what it found (the instances, their mappings and every construct it
could not translate, each with its file and line); :func:`render_airlift_yaml`
turns that into the text of a new ``airlift.yaml``, secrets as ``${VAR}``
placeholders. See ``docs/from-dagster-airlift.md``.
"""

from __future__ import annotations

from airlift_component.import_python.render import render_airlift_yaml
from airlift_component.import_python.result import Finding, ImportPythonError, ImportResult
from airlift_component.import_python.translate import import_definitions

__all__ = [
    "Finding",
    "ImportPythonError",
    "ImportResult",
    "import_definitions",
    "render_airlift_yaml",
]
