"""`airlift validate` without the printing: check paths, collect every problem.

:func:`validate_paths` reads each file once, checks it by its kind, runs the
cross-file rules of every ``airlift.yaml`` that sets ``proxied_state_dir`` and
returns a :class:`ValidationResult`; :mod:`airlift_component.config.validation.report`
turns that into text or JSON. The result also keeps what was read (what the
airlift files map, the proxied-state folders), so the warnings that need the
stored Airflow state (:mod:`airlift_component.airflow_state.xcom_hint`) read
nothing twice. Nothing here reads the environment: ``${VAR}`` placeholders are
only checked for syntax.

An ``airlift.yaml`` whose bytes passed before is not parsed or checked again when
a :class:`~.summary_cache.SummaryCache` remembers them: its summary stands in for
its model, and the ``airlift.yaml`` models are not even imported (they are
imported where a file is checked). Neither are they for a file the models would pass
as it is (:mod:`~airlift_component.config.airlift_yaml.usual`): only a file that may
have a problem is held against them, which word it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

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
from airlift_component.config.validation.airlift_summary import (
    AirliftSummary,
    summarize,
    summarize_usual,
)
from airlift_component.config.validation.cross_file import check_against_proxied_state
from airlift_component.config.validation.discovery import YAML_SUFFIXES, guess_kind
from airlift_component.config.validation.inputs import InputLog
from airlift_component.config.validation.real_paths import RealPaths
from airlift_component.config.validation.result import CheckedAirlift, ValidationResult
from airlift_component.config.validation.summary_cache import SummaryCache
from airlift_component.config.validation.targets import (
    SearchRoots,
    Target,
    airlift_files_below,
    find_targets,
    path_problem,
)
from airlift_component.config.yaml.read import (
    YamlDocument,
    YamlLoadError,
    decode_text,
    parse_yaml_text,
    parse_yaml_values,
    read_bytes,
)

__all__ = ["CheckedAirlift", "ValidationResult", "validate_paths"]

StateResult = tuple[DagProxiedState | None, list[Problem]]
#: What an airlift file is called in its problems (``airlift_yaml.load.WHAT``, which
#: is not imported here: it would import the models).
AIRLIFT_WHAT = "airlift.yaml"


def _display(path: Path) -> Path:
    return Path(os.path.normpath(path))


def check_airlift(doc: YamlDocument) -> tuple[AirliftSummary | None, list[Problem]]:
    """Every problem of a parsed ``airlift.yaml`` as written, and its summary when its
    structure is valid (even when other rules found problems, so the cross-file rules
    still run): :func:`~airlift_component.config.airlift_yaml.load.inspect_airlift_document`
    with what validation needs of the model. The models are imported and judge only
    a file that :func:`~airlift_component.config.airlift_yaml.usual.is_usual` does not
    pass; one it passes has no problem but those of its text as written."""
    from airlift_component.config.airlift_yaml.usual import is_usual

    if is_usual(doc.data):
        from airlift_component.config.airlift_yaml.rules import raw_problems

        return summarize_usual(doc.data), sorted(raw_problems(doc), key=lambda p: (p.line, p.col))
    from airlift_component.config.airlift_yaml.load import inspect_airlift_document

    model, problems = inspect_airlift_document(doc)
    return (None if model is None else summarize(model)), problems


class _Run:
    """One validation run: remembers what it read so every file is read and reported once."""

    def __init__(
        self,
        states: dict[str, StateResult] | None = None,
        inputs: InputLog | None = None,
        summaries: SummaryCache | None = None,
    ) -> None:
        self.read: set[str] = set()
        #: Every proxied-state file read so far, by absolute path (shareable: a file's
        #: result does not depend on the run that reads it).
        self.states: dict[str, StateResult] = {} if states is None else states
        self.dirs: dict[Path, ProxiedStateDir] = {}
        self.problems: dict[Problem, None] = {}
        #: Where what was read is recorded (for the verdict cache), if anywhere.
        self.inputs = inputs
        #: Where the airlift files that passed are remembered, if anywhere.
        self.summaries = summaries

    def report(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.problems.setdefault(problem, None)

    def raw(self, path: Path, what: str) -> bytes:
        """A file's bytes, recorded in :attr:`inputs`."""
        raw = read_bytes(path, what=what)
        if self.inputs is not None:
            self.inputs.file(path, raw)
        return raw

    def text(self, path: Path, what: str) -> str:
        """A file's text, its bytes recorded in :attr:`inputs`."""
        return decode_text(self.raw(path, what), str(path), what=what)

    def state(self, path: Path, doc: YamlDocument | None = None) -> StateResult:
        key = os.path.abspath(path)  # normalised: the key of its display path too
        if key in self.states:  # each file is asked for twice (named, then by its folder)
            return self.states[key]
        path = _display(path)
        self.read.add(key)
        result: StateResult = (None, [])
        if doc is None:
            try:
                doc = parse_yaml_text(self.text(path, STATE_WHAT), str(path), what=STATE_WHAT)
            except YamlLoadError as exc:
                result = (None, [exc.problem])
        if doc is not None:
            result = state_from_document(doc, dag_id_for(path))
        self.states[key] = result
        self.report(result[1])
        return result

    def state_dir(self, directory: Path, only: Collection[str] | None = None) -> ProxiedStateDir:
        """The folder's proxied-state files (``only``: those of these names), read once."""
        if self.inputs is not None:
            self.inputs.folder(directory)
        self.dirs[directory] = read_proxied_state_dir(directory, read_file=self.state, only=only)
        if self.inputs is not None:
            self.inputs.folder(directory)
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
        raw = None
        if doc is None:
            try:
                raw = self.raw(path, AIRLIFT_WHAT)
                summary = None if self.summaries is None else self.summaries.recall(raw)
                text = decode_text(raw, str(path), what=AIRLIFT_WHAT)
                if summary is not None:  # these bytes passed before: parsed only to locate
                    where = functools.partial(parse_yaml_values, text, str(path), what=AIRLIFT_WHAT)
                    return [CheckedAirlift(path, summary, by_name, functools.cache(where))]
                doc = parse_yaml_values(text, str(path), what=AIRLIFT_WHAT)
            except YamlLoadError as exc:
                self.report([exc.problem])
                return []
        summary, problems = check_airlift(doc)
        self.report(problems)
        if summary is None:
            return []
        if raw is not None and not problems and self.summaries is not None:
            self.summaries.remember(raw, summary)
        parsed = doc
        return [CheckedAirlift(Path(doc.path), summary, by_name, lambda: parsed)]

    def unnamed(self, path: Path) -> list[CheckedAirlift]:
        """A file named explicitly whose name does not tell its kind."""
        if path.suffix not in YAML_SUFFIXES:
            self.report([path_problem(path, NOT_OUR_FILE, "give .yaml or .yml files: " + KINDS)])
            return []
        self.read.add(os.path.abspath(path))
        shown = _display(path)
        try:
            doc = parse_yaml_text(self.text(shown, STATE_WHAT), str(shown), what=STATE_WHAT)
        except YamlLoadError as exc:
            self.report([exc.problem])
            return []
        if guess_kind(doc.data) == "airlift":
            return self.airlift(path, doc, by_name=False)
        self.state(path, doc)
        return []


NOT_OUR_FILE = "not an airlift.yaml or proxied-state file"
KINDS = "airlift.yaml or proxied_state/<dag_id>.yaml"


def validate_paths(
    paths: Sequence[str | Path] = (),
    *,
    exclude: Sequence[str] = (),
    targets: tuple[list[Target], list[Problem]] | None = None,
    inputs: InputLog | None = None,
    summaries: SummaryCache | None = None,
) -> ValidationResult:
    """Check files and folders (the current folder when ``paths`` is empty).

    Folders are searched for ``airlift.yaml`` files and ``proxied_state/`` folders,
    passing over what the globs of ``exclude`` match (see
    :func:`~airlift_component.config.validation.discovery.excluded`). Never raises for a problem
    in a file: every problem is in the result.

    ``targets``: what :func:`~airlift_component.config.validation.targets.find_targets`
    found for ``paths``, when the caller has it already. ``inputs``: where to record
    what the run reads (see :class:`~airlift_component.config.validation.inputs.InputLog`).
    ``summaries``: where the airlift files that passed are remembered (see
    :mod:`~airlift_component.config.validation.summary_cache`).
    """
    run = _Run(inputs=inputs, summaries=summaries)
    found_targets, trouble = find_targets(paths, exclude) if targets is None else targets
    run.report(trouble)
    airlift_files: list[CheckedAirlift] = []
    state_files = []
    for path, kind in found_targets:
        if kind == "airlift":
            airlift_files.extend(run.airlift(path))
        elif kind == "proxied-state":
            run.state(path)
            state_files.append(path)
        else:
            airlift_files.extend(run.unnamed(path))
    for checked in airlift_files:
        run.report(check_against_proxied_state(checked, read_dir=run.state_dir))
    files_checked = len(run.read)
    real = RealPaths()
    read_dirs = {real(directory) for directory in run.dirs}
    folders = {path.parent for path in state_files}
    lone = {real(path): path for path in state_files if real(path.parent) not in read_dirs}
    if inputs is not None:
        # Where a file really is matters only for a lone one (its search); where its
        # folder is, for every one (whether it is lone).
        for folder in folders:
            inputs.real_path(folder)
        for path in lone.values():
            inputs.real_path(path)
    found = _check_lone_state_files(run, lone) if lone else []
    return ValidationResult(
        files_checked=files_checked,
        problems=sorted(run.problems, key=lambda p: (p.path, p.line, p.col, p.message)),
        airlift_files=airlift_files,
        state_files=state_files,
        state_dirs=run.dirs,
        found_airlift_files=found,
    )


def _check_lone_state_files(run: _Run, lone: dict[str, Path]) -> list[CheckedAirlift]:
    """Cross-file rules for proxied-state files named without their ``airlift.yaml``
    (what a pre-commit hook passes when a commit touches only them).

    The ``airlift.yaml`` files of their repository (see
    :func:`~airlift_component.config.validation.targets.search_root`) whose
    ``proxied_state_dir`` holds one of them are read, and their
    cross-file problems located in those files are reported, under the name the file
    was given. Problems of the ``airlift.yaml`` itself, or of other files of the
    folder, are not: they were not asked about.
    """
    names: dict[str, set[str]] = {}  # folder -> the names of its lone files
    for real, given in lone.items():
        names.setdefault(os.path.dirname(real), set()).add(given.name)
    wanted = set(names)
    lookup = _Run(
        run.states, run.inputs, run.summaries
    )  # the files the run read already are not read again
    found: list[CheckedAirlift] = []
    below: dict[Path | None, list[Path]] = {None: []}  # search root -> airlift files
    search_root = SearchRoots()
    for state_file in lone.values():
        root = search_root(state_file)
        if root is not None and root not in below:
            below[root] = airlift_files_below(root)
        if run.inputs is not None:
            run.inputs.search(state_file, root, below[root])
    configs = {path for found_below in below.values() for path in found_below}
    for path in sorted(configs):
        if os.path.abspath(path) in run.read:
            continue
        for checked in lookup.airlift(path):
            base = checked.path.parent
            dirs = [
                base / instance.proxied_state_dir
                for instance in checked.summary.instances
                if instance.proxied_state_dir is not None
            ]
            if run.inputs is not None:
                for folder in dirs:
                    run.inputs.real_path(folder)
            folders = {os.path.realpath(folder) for folder in dirs}
            if not folders & wanted:
                continue
            found.append(checked)
            # Only the named files: their cross-file problems are the ones reported.
            for problem in check_against_proxied_state(
                checked,
                read_dir=lambda folder: lookup.state_dir(
                    folder, names.get(os.path.realpath(folder), ())
                ),
            ):
                named = lone.get(os.path.realpath(problem.path))
                if named is not None:
                    run.report([replace(problem, path=str(_display(named)))])
    run.dirs.update(lookup.dirs)
    return found
