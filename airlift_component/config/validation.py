"""`airlift validate` without the printing: check paths, collect every problem.

:func:`validate_paths` reads each file once, checks it by its kind, runs the
cross-file rules of every ``airlift.yaml`` that sets ``proxied_state_dir`` and
returns a :class:`ValidationResult`; :mod:`airlift_component.config.report`
turns that into text or JSON. Nothing here reads the environment: ``${VAR}``
placeholders are only checked for syntax.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from airlift_component.config.airlift_checks import (
    WHAT as AIRLIFT_WHAT,
)
from airlift_component.config.airlift_checks import (
    check_against_proxied_state,
    inspect_airlift_document,
)
from airlift_component.config.discovery import (
    YAML_SUFFIXES,
    FileKind,
    discover,
    guess_kind,
    kind_by_name,
)
from airlift_component.config.problems import Problem
from airlift_component.config.proxied_state import (
    WHAT as STATE_WHAT,
)
from airlift_component.config.proxied_state import (
    DagProxiedState,
    ProxiedStateDir,
    dag_id_for,
    read_proxied_state_dir,
    state_from_document,
)
from airlift_component.config.yamldoc import YamlDocument, YamlLoadError, load_yaml_file

StateResult = tuple[DagProxiedState | None, list[Problem]]


@dataclass
class ValidationResult:
    """What one run found: how many files were read and every problem, in file order."""

    files_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _display(path: Path) -> Path:
    return Path(os.path.normpath(path))


class _Run:
    """One validation run: remembers what it read so every file is read and reported once."""

    def __init__(self) -> None:
        self.read: set[str] = set()
        self.states: dict[str, StateResult] = {}
        self.problems: dict[Problem, None] = {}

    def report(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.problems.setdefault(problem, None)

    def _load(self, path: Path, what: str) -> YamlDocument | None:
        self.read.add(os.path.abspath(path))
        try:
            return load_yaml_file(path, what=what)
        except YamlLoadError as exc:
            self.report([exc.problem])
            return None

    def state(self, path: Path, doc: YamlDocument | None = None) -> StateResult:
        path = _display(path)
        key = os.path.abspath(path)
        if key not in self.states:
            if doc is None:
                doc = self._load(path, STATE_WHAT)
            if doc is None:
                self.states[key] = (None, [])  # its load problem is already reported
            else:
                self.states[key] = state_from_document(doc, dag_id_for(path))
            self.report(self.states[key][1])
        return self.states[key]

    def state_dir(self, directory: Path) -> ProxiedStateDir:
        return read_proxied_state_dir(directory, read_file=self.state)

    def airlift(self, path: Path, doc: YamlDocument | None = None) -> None:
        path = _display(path)
        if os.path.abspath(path) in self.read and doc is None:
            return
        doc = doc or self._load(path, AIRLIFT_WHAT)
        if doc is None:
            return
        model, problems = inspect_airlift_document(doc)
        self.report(problems)
        if model is not None:
            self.report(check_against_proxied_state(doc, model, read_dir=self.state_dir))

    def file(self, path: Path, kind: FileKind | None) -> None:
        if kind == "airlift":
            self.airlift(path)
        elif kind == "proxied-state":
            self.state(path)
        elif path.suffix not in YAML_SUFFIXES:
            self.report(
                [
                    Problem(
                        str(path),
                        1,
                        1,
                        "not an airlift.yaml or proxied-state file",
                        hint="give .yaml or .yml files: airlift.yaml or proxied_state/<dag_id>.yaml",
                        rule="path",
                    )
                ]
            )
        else:
            doc = self._load(_display(path), STATE_WHAT)
            if doc is not None and guess_kind(doc.data) == "airlift":
                self.airlift(path, doc)
            elif doc is not None:
                self.state(path, doc)

    def folder(self, folder: Path) -> None:
        found = False
        for path, kind in discover(folder):
            found = True
            self.file(path, kind)
        if not found:
            self.report(
                [
                    Problem(
                        str(folder),
                        1,
                        1,
                        "no airlift.yaml or proxied_state/*.yaml found in this folder",
                        hint="give the files to check, or run in your project folder",
                        rule="path",
                    )
                ]
            )

    def path(self, path: Path) -> None:
        if path.is_dir():
            self.folder(path)
        elif path.exists() or path.is_symlink():
            self.file(path, kind_by_name(path))
        else:
            self.report(
                [
                    Problem(
                        str(path),
                        1,
                        1,
                        "no such file or folder",
                        hint="check the path",
                        rule="path",
                    )
                ]
            )


def validate_paths(paths: Sequence[str | Path] = ()) -> ValidationResult:
    """Check files and folders (the current folder when ``paths`` is empty).

    Folders are searched for ``airlift.yaml`` files and ``proxied_state/`` folders.
    Never raises for a problem in a file: every problem is in the result.
    """
    run = _Run()
    for path in paths or [Path(".")]:
        run.path(Path(path))
    problems = sorted(run.problems, key=lambda p: (p.path, p.line, p.col, p.message))
    return ValidationResult(files_checked=len(run.read), problems=problems)
