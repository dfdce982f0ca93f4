"""`airlift validate` without the printing: check paths, collect every problem.

:func:`validate_paths` reads each file once, checks it by its kind, runs the
cross-file rules of every ``airlift.yaml`` that sets ``proxied_state_dir`` and
returns a :class:`ValidationResult`; :mod:`airlift_component.config.validation.report`
turns that into text or JSON. The result also keeps what was read (the airlift
files' models, the proxied-state folders), so the warnings that need the stored
Airflow state (:mod:`airlift_component.airflow_state.xcom_hint`) read nothing
twice. Nothing here reads the environment: ``${VAR}`` placeholders are only
checked for syntax.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from airlift_component.config.airlift_yaml.load import (
    WHAT as AIRLIFT_WHAT,
)
from airlift_component.config.airlift_yaml.load import inspect_airlift_document
from airlift_component.config.airlift_yaml.model import AirliftFile
from airlift_component.config.problems import Problem
from airlift_component.config.proxied_state.file import (
    WHAT as STATE_WHAT,
)
from airlift_component.config.proxied_state.file import (
    DagProxiedState,
    ProxiedStateDir,
    dag_id_for,
    read_proxied_state_dir,
    state_from_document,
)
from airlift_component.config.validation.cross_file import check_against_proxied_state
from airlift_component.config.validation.discovery import (
    YAML_SUFFIXES,
    FileKind,
    discover,
    guess_kind,
    kind_by_name,
)
from airlift_component.config.yaml.read import (
    YamlDocument,
    YamlLoadError,
    load_yaml_file,
    read_yaml_values,
)

StateResult = tuple[DagProxiedState | None, list[Problem]]


@dataclass(frozen=True)
class CheckedAirlift:
    """An airlift file that loaded: the document as read and its model."""

    doc: YamlDocument
    model: AirliftFile
    #: Its name says it is one (``airlift.yaml`` / ``airlift.yml``); else its content did.
    by_name: bool

    @property
    def path(self) -> Path:
        """The path it was read under."""
        return Path(self.doc.path)


@dataclass
class ValidationResult:
    """What one run found: how many files were read and every problem, in file order.

    The other fields keep what was read, for checks that build on it; they take no
    part in comparing two results.
    """

    files_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: The airlift files that loaded, in the order they were checked.
    airlift_files: list[CheckedAirlift] = field(default_factory=list, compare=False, repr=False)
    #: The files checked as proxied-state files because of their name and folder.
    state_files: list[Path] = field(default_factory=list, compare=False, repr=False)
    #: Every proxied-state folder the cross-file rules read, by the path they read it
    #: under: the airlift file's folder joined with the instance's ``proxied_state_dir``.
    state_dirs: dict[Path, ProxiedStateDir] = field(default_factory=dict, compare=False, repr=False)
    #: The airlift files found for proxied-state files named without them (see
    #: :func:`validate_paths`); read for the cross-file rules only.
    found_airlift_files: list[CheckedAirlift] = field(
        default_factory=list, compare=False, repr=False
    )

    @property
    def ok(self) -> bool:
        return not self.problems


def _display(path: Path) -> Path:
    return Path(os.path.normpath(path))


class _Run:
    """One validation run: remembers what it read so every file is read and reported once."""

    def __init__(self, states: dict[str, StateResult] | None = None) -> None:
        self.read: set[str] = set()
        #: Every proxied-state file read so far, by absolute path (shareable: a file's
        #: result does not depend on the run that reads it).
        self.states: dict[str, StateResult] = {} if states is None else states
        self.dirs: dict[Path, ProxiedStateDir] = {}
        self.problems: dict[Problem, None] = {}

    def report(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.problems.setdefault(problem, None)

    def state(self, path: Path, doc: YamlDocument | None = None) -> StateResult:
        path = _display(path)
        key = os.path.abspath(path)
        if key not in self.states:
            self.read.add(key)
            result: StateResult = (None, [])
            if doc is None:
                try:
                    doc = load_yaml_file(path, what=STATE_WHAT)
                except YamlLoadError as exc:
                    result = (None, [exc.problem])
            if doc is not None:
                result = state_from_document(doc, dag_id_for(path))
            self.states[key] = result
            self.report(result[1])
        return self.states[key]

    def state_dir(self, directory: Path, only: Collection[str] | None = None) -> ProxiedStateDir:
        """The folder's proxied-state files (``only``: those of these names), read once."""
        self.dirs[directory] = read_proxied_state_dir(directory, read_file=self.state, only=only)
        return self.dirs[directory]

    def airlift(
        self, path: Path, doc: YamlDocument | None = None, *, by_name: bool = True
    ) -> list[CheckedAirlift]:
        """Check one airlift.yaml; returns it for the cross-file checks, run last."""
        path = _display(path)
        key = os.path.abspath(path)
        if key in self.read and doc is None:
            return []
        self.read.add(key)
        if doc is None:
            try:
                doc = read_yaml_values(path, what=AIRLIFT_WHAT)
            except YamlLoadError as exc:
                self.report([exc.problem])
                return []
        model, problems = inspect_airlift_document(doc)
        self.report(problems)
        return [] if model is None else [CheckedAirlift(doc, model, by_name)]

    def unnamed(self, path: Path) -> list[CheckedAirlift]:
        """A file named explicitly whose name does not tell its kind."""
        if path.suffix not in YAML_SUFFIXES:
            self.report([_path_problem(path, NOT_OUR_FILE, "give .yaml or .yml files: " + KINDS)])
            return []
        self.read.add(os.path.abspath(path))
        try:
            doc = load_yaml_file(_display(path), what=STATE_WHAT)
        except YamlLoadError as exc:
            self.report([exc.problem])
            return []
        if guess_kind(doc.data) == "airlift":
            return self.airlift(path, doc, by_name=False)
        self.state(path, doc)
        return []

    def targets(
        self, path: Path, exclude: Sequence[str] = ()
    ) -> list[tuple[Path, FileKind | None]]:
        """The files to check for one command-line argument (``exclude``: globs of
        what a folder's search passes over; a file named on its own is checked)."""
        if path.is_dir():
            unreadable: list[Problem] = []
            found: list[tuple[Path, FileKind | None]] = list(
                discover(
                    path,
                    lambda exc: unreadable.append(_unreadable_folder(path, exc)),
                    exclude,
                )
            )
            self.report(unreadable)
            if not found and not unreadable:
                self.report([_path_problem(path, NOTHING_FOUND, "give the files to check")])
            return found
        if path.exists() or path.is_symlink():
            return [(path, kind_by_name(path))]
        self.report([_path_problem(path, "no such file or folder", "check the path")])
        return []


NOT_OUR_FILE = "not an airlift.yaml or proxied-state file"
KINDS = "airlift.yaml or proxied_state/<dag_id>.yaml"
NOTHING_FOUND = "no airlift.yaml or proxied_state/*.yaml found in this folder"


def _unreadable_folder(top: Path, exc: OSError) -> Problem:
    where = exc.filename if isinstance(exc.filename, str) else str(top)
    return _path_problem(
        Path(where),
        f"cannot read this folder: {exc.strerror or exc}",
        "check its permissions: the user running this must be able to list it",
    )


def _path_problem(path: Path, message: str, hint: str) -> Problem:
    return Problem(str(path), 1, 1, message, hint=hint, rule="path")


def validate_paths(
    paths: Sequence[str | Path] = (), *, exclude: Sequence[str] = ()
) -> ValidationResult:
    """Check files and folders (the current folder when ``paths`` is empty).

    Folders are searched for ``airlift.yaml`` files and ``proxied_state/`` folders,
    passing over what the globs of ``exclude`` match (see
    :func:`~airlift_component.config.validation.discovery.excluded`). Never raises for a problem
    in a file: every problem is in the result.
    """
    run = _Run()
    targets = [
        target for path in paths or [Path(".")] for target in run.targets(Path(path), exclude)
    ]
    airlift_files: list[CheckedAirlift] = []
    state_files = []
    for path, kind in targets:
        if kind == "airlift":
            airlift_files.extend(run.airlift(path))
        elif kind == "proxied-state":
            run.state(path)
            state_files.append(path)
        else:
            airlift_files.extend(run.unnamed(path))
    for checked in airlift_files:
        run.report(check_against_proxied_state(checked.doc, checked.model, read_dir=run.state_dir))
    files_checked = len(run.read)
    read_dirs = {os.path.realpath(directory) for directory in run.dirs}
    lone = {
        os.path.realpath(path): path
        for path in state_files
        if os.path.realpath(path.parent) not in read_dirs
    }
    found = _check_lone_state_files(run, lone) if lone else []
    return ValidationResult(
        files_checked=files_checked,
        problems=sorted(run.problems, key=lambda p: (p.path, p.line, p.col, p.message)),
        airlift_files=airlift_files,
        state_files=state_files,
        state_dirs=run.dirs,
        found_airlift_files=found,
    )


def _search_root(state_file: Path) -> Path | None:
    """Where to look for the ``airlift.yaml`` that names ``state_file``'s folder: the
    git work tree holding the file, else the current folder when it holds the file;
    ``None`` for a file outside both (nothing there can name it)."""
    cwd = Path.cwd()
    folder = (cwd / state_file).resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return Path(os.path.relpath(candidate, cwd))
    return Path(".") if folder.is_relative_to(cwd.resolve()) else None


def _check_lone_state_files(run: _Run, lone: dict[str, Path]) -> list[CheckedAirlift]:
    """Cross-file rules for proxied-state files named without their ``airlift.yaml``
    (what a pre-commit hook passes when a commit touches only them).

    The ``airlift.yaml`` files of their repository (see :func:`_search_root`) whose
    ``proxied_state_dir`` holds one of them are read, and their
    cross-file problems located in those files are reported, under the name the file
    was given. Problems of the ``airlift.yaml`` itself, or of other files of the
    folder, are not: they were not asked about.
    """
    names: dict[str, set[str]] = {}  # folder -> the names of its lone files
    for real, given in lone.items():
        names.setdefault(os.path.dirname(real), set()).add(given.name)
    wanted = set(names)
    roots = {root for root in map(_search_root, lone.values()) if root is not None}
    lookup = _Run(run.states)  # the files the run read already are not read again
    found: list[CheckedAirlift] = []
    configs = {path for root in roots for path, kind in discover(root) if kind == "airlift"}
    for path in sorted(configs):
        if os.path.abspath(path) in run.read:
            continue
        for checked in lookup.airlift(path):
            base = checked.path.parent
            folders = {
                os.path.realpath(base / instance.proxied_state_dir)
                for instance in checked.model.instances
                if instance.proxied_state_dir is not None
            }
            if not folders & wanted:
                continue
            found.append(checked)
            # Only the named files: their cross-file problems are the ones reported.
            for problem in check_against_proxied_state(
                checked.doc,
                checked.model,
                read_dir=lambda folder: lookup.state_dir(
                    folder, names.get(os.path.realpath(folder), ())
                ),
            ):
                named = lone.get(os.path.realpath(problem.path))
                if named is not None:
                    run.report([replace(problem, path=str(_display(named)))])
    run.dirs.update(lookup.dirs)
    return found
