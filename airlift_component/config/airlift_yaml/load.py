"""Reading ``airlift.yaml``, from the file to the model, along one path.

1. **read** the YAML: the values from libyaml's events (:mod:`..yaml.events`);
   the node tree with positions (:mod:`..yaml.read`) is composed only when a
   problem must be located, or for a file that is not plain YAML (anchors, merge
   keys, tags), where it also gives the values;
2. **check** the document as written (:func:`.rules.raw_problems`):
   placeholder syntax and literal secrets;
3. **resolve** ``${VAR}`` placeholders from the environment (only when loading
   for use: ``airlift validate`` skips this step and needs no secret);
4. **model**: one pydantic validation (:mod:`.model`; its errors are located by
   :mod:`..model_errors`), then the rules that need the model
   (:func:`.rules.model_problems`).

The proxied-state files are not read here: :mod:`..validation` holds the two
formats against each other.

:func:`load_airlift_file` runs all four; :func:`check_airlift_document` (what
``airlift validate`` runs) skips step 3. With a ``checked_cache`` an unchanged
file skips steps 1, 2 and the rules of step 4 (see :mod:`.checked_cache`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from airlift_component.config.airlift_yaml.checked_cache import (
    CheckedDocument,
    content_digest,
    read_checked,
    write_checked,
)
from airlift_component.config.airlift_yaml.model import (
    PATTERN_HINTS,
    SECRET_FIELDS,
    AirliftFile,
    DagMapping,
)
from airlift_component.config.airlift_yaml.placeholders import PlaceholderError, resolve
from airlift_component.config.airlift_yaml.rules import (
    model_problems,
    raw_problems,
    value_at,
    walk_strings,
)
from airlift_component.config.model_errors import problems_from_validation_error
from airlift_component.config.problems import Problem
from airlift_component.config.yaml.events import plain_values
from airlift_component.config.yaml.read import (
    Loc,
    YamlDocument,
    YamlLoadError,
    parse_yaml_text,
    read_text,
)
from airlift_component.errors import ConfigError

WHAT = "airlift.yaml"
_FROM_ENV = "the value comes from an environment variable: check what it is set to"


def read_airlift_document(path: Path) -> YamlDocument:
    """Step 1: parse ``airlift.yaml`` (its node tree composed only when a problem is
    located, see :func:`_parse`); :class:`ConfigError` when it is not a YAML mapping."""
    try:
        return _parse(read_text(path, what=WHAT), str(path))
    except YamlLoadError as exc:
        raise ConfigError([exc.problem]) from None


class _NodesOnDemand(YamlDocument):
    """A parsed ``airlift.yaml`` that keeps its values but lets its node tree go.

    The node tree (libyaml's nodes and their start and end marks, about 40 objects
    per mapped task) serves only to locate a problem. Kept while the model was
    validated, every full pass of CPython's cyclic collector re-scanned it (one
    pass over 680,000 objects at 10,000 mappings); it is composed again from the
    text when a problem is to be located. Cold build at 1,000 DAGs x 10 tasks
    (``bench/compare``): about 0.2 s less CPU. A plain file is read without
    composing the tree at all (:mod:`..yaml.events`).
    """

    def __init__(
        self, path: str, data: dict[str, Any], placeholders: list[str] | None, text: str
    ) -> None:
        self.path, self.data, self.placeholder_strings = path, data, placeholders
        self._text = text

    def __getattr__(self, name: str) -> Any:
        if name != "root":
            raise AttributeError(name)
        self.root = parse_yaml_text(self._text, self.path, what=WHAT).root
        return self.root


def _parse(text: str, path: str) -> YamlDocument:
    """Step 1 for a load: the values of ``text``, the node tree composed on demand."""
    plain = plain_values(text)
    if plain is None:
        doc = parse_yaml_text(text, path, what=WHAT)  # the same values, or a located problem
        return _NodesOnDemand(path, doc.data, doc.placeholder_strings, text)
    return _NodesOnDemand(path, plain[0], plain[1], text)


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.col))


def _validate(
    doc: YamlDocument, from_env: Iterable[Loc] = ()
) -> tuple[AirliftFile | None, list[Problem]]:
    """Step 4: the model, once; a problem at a value that came from the environment says so."""
    try:
        model = AirliftFile.model_validate(doc.data)
    except ValidationError as exc:
        from_env = set(from_env)
        problems = problems_from_validation_error(
            doc, exc, AirliftFile, hidden=from_env, hints=PATTERN_HINTS
        )
        env_positions = {doc.position(loc) for loc in from_env}
        return None, [
            replace(p, hint=(p.hint + "; " if p.hint else "") + _FROM_ENV)
            if (p.line, p.col) in env_positions
            else p
            for p in problems
        ]
    return model, model_problems(doc, model)


def inspect_airlift_document(doc: YamlDocument) -> tuple[AirliftFile | None, list[Problem]]:
    """Every problem of a parsed ``airlift.yaml`` as written (no environment), and its
    model whenever the structure is valid (even when other rules found problems), so
    cross-file checks can still run."""
    problems = raw_problems(doc)
    model, more = _validate(doc)
    return model, _sorted(problems + more)


def check_airlift_document(doc: YamlDocument) -> tuple[AirliftFile | None, list[Problem]]:
    """Validate a parsed ``airlift.yaml`` without touching the environment or other files.

    Returns the model only when there is no problem at all.
    """
    model, problems = inspect_airlift_document(doc)
    return (None if problems else model), problems


_SECRET_KEYS = frozenset(key for keys in SECRET_FIELDS.values() for key in keys)


def _substitute(
    data: Any, locs: Iterable[Loc], environ: Mapping[str, str]
) -> list[tuple[Loc, PlaceholderError]]:
    """Step 3: resolve the ``${VAR}`` strings at ``locs`` in ``data`` in place; those
    that cannot be resolved are left as they are and returned with the reason."""
    failed = []
    for loc in locs:
        try:
            value = resolve(value_at(data, loc), environ, secret=loc[-1] in _SECRET_KEYS)
        except PlaceholderError as exc:
            failed.append((loc, exc))
            continue
        value_at(data, loc[:-1])[loc[-1]] = value
    return failed


def load_airlift_file(
    path: str | Path,
    environ: Mapping[str, str] | None = None,
    *,
    checked_cache: Path | None = None,
) -> AirliftFile:
    """Load ``airlift.yaml`` for use: checked, placeholders resolved, validated.

    The proxied-state files are not read: ``airlift validate`` checks the two
    formats against each other (:mod:`airlift_component.config.validation`).
    With ``checked_cache`` (a file path), a file whose
    text is unchanged since it last passed every check loads from that cache,
    without parsing YAML (see :mod:`airlift_component.config.airlift_yaml.checked_cache`).
    Raises :class:`ConfigError` listing every problem, each with file, line and column.
    """
    environ = os.environ if environ is None else environ
    if checked_cache is None:
        return _load(read_airlift_document(Path(path)), environ)
    return _load_with_checked_cache(Path(path), environ, checked_cache)


def _load_with_checked_cache(path: Path, environ: Mapping[str, str], cache: Path) -> AirliftFile:
    try:
        text = read_text(path, what=WHAT)
        digest = content_digest(text)
        cached = read_checked(cache, digest)
        model = _model_from_checked(cached, environ) if cached is not None else None
        if model is not None:
            return model
        doc = _parse(text, str(path))
    except YamlLoadError as exc:
        raise ConfigError([exc.problem]) from None
    return _load(doc, environ, remember=(cache, digest))


_MAPPINGS = TypeAdapter(list[DagMapping])


def _model_from_checked(cached: CheckedDocument, environ: Mapping[str, str]) -> AirliftFile | None:
    # None sends the caller to the full load, which reports problems with positions.
    try:
        if _substitute(cached.data, cached.placeholders, environ):
            return None
        for index, text in cached.mappings_json.items():
            # Validated from the JSON text: no dicts and lists are built for them first.
            cached.data["instances"][index]["mappings"] = _MAPPINGS.validate_json(text)
        return AirliftFile.model_validate(cached.data)
    except (ValidationError, LookupError, TypeError):
        return None


def _load(
    doc: YamlDocument,
    environ: Mapping[str, str],
    remember: tuple[Path, str] | None = None,
) -> AirliftFile:
    problems = raw_problems(doc)
    if problems:
        raise ConfigError(_sorted(problems))
    written = walk_strings(doc.data, "${")
    found = [loc for loc, _ in written]
    unset = [
        doc.problem(loc, str(exc), rule="placeholder")
        for loc, exc in _substitute(doc.data, found, environ)
    ]
    model, problems = _validate(doc, from_env=found)
    if unset or problems or model is None:
        raise ConfigError(_sorted(unset + problems))
    for loc, text in written:  # the cache sees the file as written
        value_at(doc.data, loc[:-1])[loc[-1]] = text
    if remember is not None:
        write_checked(remember[0], remember[1], CheckedDocument(doc.data, found))
    return model


def parse_airlift_text(text: str, path: str = WHAT) -> tuple[AirliftFile | None, list[Problem]]:
    """Check ``airlift.yaml`` content given as text (used by tests and docs checks)."""
    try:
        doc = _parse(text, path)
    except YamlLoadError as exc:
        return None, [exc.problem]
    return check_airlift_document(doc)
